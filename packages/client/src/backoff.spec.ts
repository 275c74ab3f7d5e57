import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the maximum, between half and all of each step', () => {
    const lowest = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    const highest = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 1);
    const low = Array.from({ length: 6 }, () => lowest.next());
    const high = Array.from({ length: 6 }, () => highest.next());
    expect(low).toEqual([50, 100, 200, 400, 500, 500]);
    expect(high).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("takes the server's retry as its base, and starts again from it after a reset", () => {
    const backoff = new Backoff({ initialDelayMs: 1000 }, () => 1);
    backoff.next();
    backoff.serverRetry(3000);
    expect(backoff.next()).toBe(6000);
    backoff.reset();
    expect(backoff.next()).toBe(3000);
  });

  it('waits at least what the server asks with Retry-After', () => {
    const backoff = new Backoff({ initialDelayMs: 100 }, () => 0);
    expect(backoff.next(5000)).toBe(5000);
  });

  it('spreads clients: delays drawn with different random values differ', () => {
    const delays = [0, 0.25, 0.5, 0.75].map((value) => new Backoff({}, () => value).next());
    expect(new Set(delays).size).toBe(4);
  });
});
