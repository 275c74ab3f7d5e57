import { benchMediasMessage, paddingFor, wallClockMs } from './bench-payload.js';

describe('bench payload', () => {
  it.each([0, 100, 256, 4096])('brings the data line to about %i bytes', (size) => {
    const library = '0b6b7c8e-0000-4000-8000-000000000001';
    const data = JSON.stringify({
      Medias: benchMediasMessage(library, 42, paddingFor(size, library), wallClockMs()),
    });
    const bare = JSON.stringify({
      Medias: benchMediasMessage(library, 42, '', wallClockMs()),
    }).length;
    expect(data.length).toBeGreaterThanOrEqual(Math.max(bare, size) - 16);
    expect(data.length).toBeLessThanOrEqual(Math.max(bare, size) + 16);
  });

  it('carries the send time where a receiver finds it', () => {
    const sentAt = wallClockMs();
    const data = JSON.stringify({ Medias: benchMediasMessage('lib', 1, '', sentAt) });
    expect(Math.abs(sentAt - Date.now())).toBeLessThan(1000);
    expect(Number(/"sentAt":([0-9.]+)/.exec(data)?.[1])).toBe(sentAt);
  });
});
