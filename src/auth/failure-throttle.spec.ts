import { FailureThrottle } from './failure-throttle.js';

const policy = {
  freeFailures: 3,
  firstDelayMs: 1000,
  maxDelayMs: 4000,
  forgetAfterMs: 60_000,
  maxKeys: 3,
};

describe('FailureThrottle', () => {
  it('lets the free failures through, then doubles the wait up to its cap', () => {
    const throttle = new FailureThrottle(policy);
    const waits: number[] = [];
    for (let failure = 1; failure <= 6; failure++) {
      throttle.failed('alice', 0);
      waits.push(throttle.waitMs('alice', 0));
    }
    expect(waits).toEqual([0, 0, 1000, 2000, 4000, 4000]);
    expect(throttle.waitMs('alice', 3999)).toBe(1);
    expect(throttle.waitMs('alice', 4000)).toBe(0);
    expect(throttle.waitMs('bob', 0)).toBe(0);
  });

  it('forgets a key after a quiet period, on success, and one failure when forgiven', () => {
    const throttle = new FailureThrottle(policy);
    for (let failure = 0; failure < 4; failure++) throttle.failed('alice', 0);
    expect(throttle.waitMs('alice', 60_000)).toBe(0);
    for (let failure = 0; failure < 3; failure++) throttle.failed('alice', 0);
    throttle.forgiveOne('alice');
    expect(throttle.waitMs('alice', 0)).toBe(0);
    throttle.failed('alice', 0);
    expect(throttle.waitMs('alice', 0)).toBe(1000);
    throttle.succeeded('alice');
    expect(throttle.waitMs('alice', 0)).toBe(0);
  });

  it('keeps at most maxKeys keys, dropping the one that failed longest ago', () => {
    const throttle = new FailureThrottle(policy);
    for (const key of ['a', 'b', 'c', 'a', 'd']) {
      for (let failure = 0; failure < 3; failure++) throttle.failed(key, 0);
    }
    expect(throttle.waitMs('b', 0)).toBe(0);
    expect(['a', 'c', 'd'].map((key) => throttle.waitMs(key, 0) > 0)).toEqual([true, true, true]);
  });
});
