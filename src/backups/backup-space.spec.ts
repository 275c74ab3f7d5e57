import {
  archiveBytes,
  ensureSpace,
  entryBytes,
  formatBytes,
  NotEnoughSpace,
} from './backup-space.js';

describe('archive sizes', () => {
  it('counts a header, a possible pax header and the content padded to 512-byte blocks', () => {
    expect(entryBytes(0)).toBe(1536);
    expect(entryBytes(1)).toBe(1536 + 512);
    expect(entryBytes(512)).toBe(1536 + 512);
    expect(entryBytes(513)).toBe(1536 + 1024);
  });

  it('adds the two blocks that end the archive', () => {
    expect(archiveBytes([])).toBe(1024);
    expect(archiveBytes([10, 600])).toBe(1024 + entryBytes(10) + entryBytes(600));
  });
});

describe('ensureSpace', () => {
  it('lets a run go while what it owes leaves the reserve free', () => {
    expect(() => ensureSpace({ free: 3000, owed: 1000, keepFree: 2000 })).not.toThrow();
  });

  it('refuses a run that would eat into the reserve, saying by how much, with no path', () => {
    let thrown: unknown;
    try {
      ensureSpace({ free: 3 * 1024 ** 3, owed: 2.5 * 1024 ** 3, keepFree: 1024 ** 3 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NotEnoughSpace);
    expect((thrown as Error).message).toBe(
      'not enough free space on the backup disk: the run needs 2.5 GiB more and 1.0 GiB must ' +
        'stay free, but 3.0 GiB is free',
    );
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1.0 KiB'],
    [1536 * 1024, '1.5 MiB'],
    [2 ** 50, '1.0 PiB'],
  ])('writes %p as %p', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
