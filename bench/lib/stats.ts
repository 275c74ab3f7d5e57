/** The median of the finite values; NaN when there is none. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}

/**
 * The `p`-th percentile (0-100) of values sorted in ascending order, by the nearest-rank
 * method: the smallest value with at least p% of the values at or below it.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Sorts `samples` in place and summarises them. */
export function summariseLatencies(samples: Float64Array): LatencySummary {
  samples.sort();
  return {
    count: samples.length,
    p50: percentileOfSorted(samples, 50),
    p90: percentileOfSorted(samples, 90),
    p99: percentileOfSorted(samples, 99),
    p999: percentileOfSorted(samples, 99.9),
    max: samples.length > 0 ? samples[samples.length - 1] : Number.NaN,
  };
}

/** A growable array of doubles that does not box its values. */
export class SampleBuffer {
  private values: Float64Array;
  private size = 0;

  constructor(initialCapacity = 1 << 16) {
    this.values = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = value;
  }

  clear(): void {
    this.size = 0;
  }

  /** A copy of the samples so far. */
  snapshot(): Float64Array {
    return this.values.slice(0, this.size);
  }
}
