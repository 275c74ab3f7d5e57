/**
 * The highest id the Redis bus may have issued, kept outside Redis so that a Redis that lost its
 * data is seeded above it and never issues an id twice. It only ever rises.
 */
export abstract class EventIdCeiling {
  abstract current(): Promise<number>;
  /** Raises it to at least `atLeast`; returns it as it now stands. */
  abstract raise(atLeast: number): Promise<number>;
}

/**
 * A ceiling in this process's memory, for hosts without a database for it: ids stay unique
 * while a process lives, but a Redis wiped while every process was down starts again at 1.
 */
export class VolatileIdCeiling extends EventIdCeiling {
  private value = 0;

  current(): Promise<number> {
    return Promise.resolve(this.value);
  }

  raise(atLeast: number): Promise<number> {
    this.value = Math.max(this.value, atLeast);
    return Promise.resolve(this.value);
  }
}
