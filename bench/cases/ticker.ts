import type { RunningServer } from '../lib/servers.js';

export interface TickerOptions {
  ticksPerSecond: number;
  eventsPerTick: number;
  libraries: string[];
  size: number;
}

/** Requests a server may have in hand before further ticks are counted as missed. */
const MAX_IN_FLIGHT = 4;

/**
 * Publishes `eventsPerTick` events at a steady rate, one request per tick, the libraries taken
 * in turn, whether or not earlier requests have been answered. A tick whose turn comes while
 * MAX_IN_FLIGHT requests are still out is counted as missed rather than queued, so a server
 * that falls behind shows it without being buried further.
 */
export class Ticker {
  published = 0;
  missed = 0;
  failures = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private nextLibrary = 0;
  private startedAt = 0;
  private ticks = 0;

  constructor(
    private readonly server: RunningServer,
    private readonly options: TickerOptions,
  ) {}

  start(): void {
    this.startedAt = performance.now();
    this.schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight);
  }

  private schedule(): void {
    const due = this.startedAt + (++this.ticks * 1000) / this.options.ticksPerSecond;
    this.timer = setTimeout(
      () => {
        this.tick();
        if (this.timer !== undefined) this.schedule();
      },
      Math.max(0, due - performance.now()),
    );
  }

  private async publish(body: unknown): Promise<void> {
    try {
      const response = await fetch(`${this.server.baseUrl}/bench/publish`, {
        method: 'POST',
        headers: { ...this.server.publishHeaders, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      if (response.ok) this.published++;
      else this.failures++;
    } catch {
      this.failures++;
    }
  }

  private tick(): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.missed++;
      return;
    }
    const { libraries, eventsPerTick, size } = this.options;
    const chosen: string[] = [];
    for (let i = 0; i < eventsPerTick; i++) {
      chosen.push(libraries[this.nextLibrary++ % libraries.length]);
    }
    const request = this.publish({ count: eventsPerTick, size, libraries: chosen });
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }
}
