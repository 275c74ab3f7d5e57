import type { ServerResponse } from 'node:http';
import { handOver, handoverHolds, probeHandover } from './response-handover.js';

describe('the hand-over of a stream response, on the running Node', () => {
  // Every line in package.json's engines is tested: a Node that stops allowing it fails here,
  // while a server on it falls back to keeping responses.
  it(`holds on Node ${process.version}`, async () => {
    await expect(handoverHolds()).resolves.toBe(true);
    await expect(probeHandover(handOver)).resolves.toBe(true);
  });

  it.each([
    [
      'a response ended as usual, which writes the last chunk',
      (response: ServerResponse) => {
        response.end();
      },
    ],
    [
      'a hand-over that throws',
      () => {
        throw new Error('incorrect usage of internals');
      },
    ],
    ['a response left unfinished, which Node keeps', () => undefined],
    [
      'a connection that Node closes once the response finished',
      (response: ServerResponse) => {
        const socket = response.socket;
        handOver(response);
        response.once('finish', () => socket?.destroy());
      },
    ],
  ])('is refused when Node behaves otherwise: %s', async (_name, attempt) => {
    await expect(probeHandover(attempt)).resolves.toBe(false);
  });
});
