import * as fc from 'fast-check';
import { BoundedQueue } from './bounded-queue.js';

const sized = (size: number) => ({ size });

describe('BoundedQueue', () => {
  it('keeps everything within its bounds and gives it back oldest first', () => {
    const queue = new BoundedQueue(
      { maxEvents: 3, maxBytes: 100 },
      (item: { size: number }) => item.size,
    );
    for (const size of [10, 20, 30]) queue.push(sized(size));
    expect({ length: queue.length, bytes: queue.bytes }).toEqual({ length: 3, bytes: 60 });
    expect(queue.take()).toEqual({ items: [sized(10), sized(20), sized(30)], skipped: 0 });
    expect({ length: queue.length, bytes: queue.bytes }).toEqual({ length: 0, bytes: 0 });
  });

  it('drops the oldest over a bound, counts them once, and always keeps the newest', () => {
    const queue = new BoundedQueue(
      { maxEvents: 2, maxBytes: 50 },
      (item: { size: number }) => item.size,
    );
    for (const size of [10, 20, 30]) queue.push(sized(size));
    expect(queue.take()).toEqual({ items: [sized(20), sized(30)], skipped: 1 });
    queue.push(sized(500));
    expect(queue.take()).toEqual({ items: [sized(500)], skipped: 0 });
  });

  it('agrees with a plain list cut from the front, whatever the pushes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 60 }),
        (maxEvents, maxBytes, sizes) => {
          const queue = new BoundedQueue({ maxEvents, maxBytes }, (size: number) => size);
          const model: number[] = [];
          let dropped = 0;
          for (const size of sizes) {
            queue.push(size);
            model.push(size);
            const total = () => model.reduce((sum, each) => sum + each, 0);
            while (model.length > 1 && (model.length > maxEvents || total() > maxBytes)) {
              model.shift();
              dropped++;
            }
          }
          expect(queue.take()).toEqual({ items: model, skipped: dropped });
        },
      ),
      { numRuns: 300 },
    );
  });
});
