export const MIB = 1024 * 1024;

/** Whole percent of `done` out of `total`, from 0 to 100; an empty total counts as done. */
export function percentOf(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.max(0, Math.min(100, Math.floor((done * 100) / total)));
}

export interface ThrottleSteps {
  /** With a known total: the least gain, in whole percent, worth an event. */
  percent: number;
  /** With an unknown total: the least gain, in units (bytes, files), worth an event. */
  units: number;
}

/**
 * Decides which progress updates are worth an event, so that a long transfer sends a bounded
 * number of them: one per `percent` step when the total is known (at most 100 / percent), one
 * per `units` step when it is not. The first update always goes out.
 */
export class ProgressThrottle {
  private lastPercent = -1;
  private lastUnits = -1;

  constructor(
    private readonly total: number | null,
    private readonly steps: ThrottleSteps = { percent: 1, units: MIB },
  ) {}

  /** The percent to report for `done`, 0 while the total is unknown. */
  percent(done: number): number {
    return this.total === null ? 0 : percentOf(done, this.total);
  }

  /** True if `done` is far enough past the last update that passed; remembers it if so. */
  pass(done: number): boolean {
    if (this.total !== null) {
      const percent = this.percent(done);
      if (this.lastPercent >= 0 && percent - this.lastPercent < this.steps.percent) return false;
      this.lastPercent = percent;
      return true;
    }
    if (this.lastUnits >= 0 && done - this.lastUnits < this.steps.units) return false;
    this.lastUnits = done;
    return true;
  }
}
