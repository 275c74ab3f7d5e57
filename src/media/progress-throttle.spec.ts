import * as fc from 'fast-check';
import { MIB, percentOf, ProgressThrottle } from './progress-throttle.js';

describe('percentOf', () => {
  it('rounds down and stays within 0..100', () => {
    expect(percentOf(0, 200)).toBe(0);
    expect(percentOf(199, 200)).toBe(99);
    expect(percentOf(200, 200)).toBe(100);
    expect(percentOf(500, 200)).toBe(100);
    expect(percentOf(-1, 200)).toBe(0);
    expect(percentOf(0, 0)).toBe(100);
  });
});

describe('ProgressThrottle', () => {
  it('passes one update per whole percent of a known total', () => {
    const throttle = new ProgressThrottle(1000);
    const passed = [0, 5, 9, 10, 11, 19, 20, 1000].filter((done) => throttle.pass(done));
    expect(passed).toEqual([0, 10, 20, 1000]);
  });

  it('passes one update per MiB of an unknown total', () => {
    const throttle = new ProgressThrottle(null);
    const passed = [0, MIB - 1, MIB, MIB + 10, 3 * MIB].filter((done) => throttle.pass(done));
    expect(passed).toEqual([0, MIB, 3 * MIB]);
    expect(throttle.percent(3 * MIB)).toBe(0);
  });

  it('honours larger steps', () => {
    const throttle = new ProgressThrottle(100, { percent: 5, units: 1 });
    const passed = [0, 4, 5, 7, 10, 14, 15].filter((done) => throttle.pass(done));
    expect(passed).toEqual([0, 5, 10, 15]);
  });

  it('bounds the number of events, however the updates arrive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e10 }),
        fc.array(fc.integer({ min: 0, max: 1e10 }), { maxLength: 2000 }),
        (total, updates) => {
          const throttle = new ProgressThrottle(total);
          let lastPercent = -1;
          let events = 0;
          for (const done of [...updates].sort((a, b) => a - b)) {
            if (!throttle.pass(done)) continue;
            events += 1;
            const percent = throttle.percent(done);
            expect(percent).toBeGreaterThan(lastPercent);
            lastPercent = percent;
          }
          expect(events).toBeLessThanOrEqual(101);
        },
      ),
    );
  });
});
