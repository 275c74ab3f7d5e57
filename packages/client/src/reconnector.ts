import { Backoff, type BackoffOptions } from './backoff.js';
import type { OpenStream, StreamEnd, StreamRequest, StreamTransport } from './transport.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the reconnector asks of, and tells, the client it serves. */
export interface ReconnectorHost {
  /** The request of the next attempt: the last id seen and a current token. */
  request(): Promise<StreamRequest>;
  event(name: string, data: unknown, id: number | undefined): void;
  state(state: ConnectionState, error?: string): void;
  /** A 401: refresh the credentials; false when that is not possible. */
  reauthenticate(): Promise<boolean>;
}

/** Refusals that another attempt would get again: the client stops. */
const FINAL_STATUSES = new Set([400, 403, 404]);

/**
 * Keeps one stream open through a transport: opens it, and after it ends or fails opens it
 * again after a jittered, growing delay (the server's `retry:` first, `Retry-After` honoured),
 * each time from the last id the client saw. A 401 refreshes the credentials once and retries at
 * once (later, if the refresh itself failed); a second in a row, or a refusal that would repeat
 * (400, 403, 404), ends it: `closed`.
 */
export class Reconnector {
  private readonly backoff: Backoff;
  private running = false;
  /** Counts starts and stops: an attempt begun before a stop must not open a stream after it. */
  private generation = 0;
  private everOpened = false;
  private stream?: OpenStream;
  private timer?: ReturnType<typeof setTimeout>;
  private refusedAuth = false;

  constructor(
    private readonly transport: StreamTransport,
    private readonly host: ReconnectorHost,
    backoff: BackoffOptions = {},
  ) {
    this.backoff = new Backoff(backoff);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.host.state(this.everOpened ? 'reconnecting' : 'connecting');
    void this.attempt(++this.generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    clearTimeout(this.timer);
    this.stream?.close();
    this.stream = undefined;
  }

  private async attempt(generation: number): Promise<void> {
    let request: StreamRequest;
    try {
      request = await this.host.request();
    } catch (error) {
      if (generation === this.generation) await this.ended({ kind: 'failed', error });
      return;
    }
    if (generation !== this.generation) return;
    this.stream = this.transport.open(request, {
      open: () => {
        this.everOpened = true;
        this.refusedAuth = false;
        this.backoff.reset();
        this.host.state('open');
      },
      event: (name, data, id) => this.host.event(name, data, id),
      retry: (ms) => this.backoff.serverRetry(ms),
      end: (end) => {
        this.stream = undefined;
        if (this.running) void this.ended(end);
      },
    });
  }

  private async ended(end: StreamEnd): Promise<void> {
    const error = messageOf(end);
    if (end.kind === 'refused' && end.status === 401) {
      const generation = this.generation;
      let again: boolean;
      try {
        again = !this.refusedAuth && (await this.host.reauthenticate());
      } catch (failure) {
        // Renewing failed without a verdict (the server unreachable, say): a refusal of the
        // credentials would have answered false. Try again later, as after a failed attempt.
        if (generation === this.generation) {
          this.retryIn(this.backoff.next(), messageOf({ kind: 'failed', error: failure }));
        }
        return;
      }
      this.refusedAuth = true;
      if (generation !== this.generation) return;
      if (again) return this.retryIn(0, error);
      return this.give(error);
    }
    if (end.kind === 'refused' && FINAL_STATUSES.has(end.status)) return this.give(error);
    const atLeastMs = end.kind === 'refused' ? end.retryAfterMs : undefined;
    this.retryIn(this.backoff.next(atLeastMs), error);
  }

  private retryIn(delayMs: number, error: string | undefined): void {
    this.host.state(this.everOpened ? 'reconnecting' : 'connecting', error);
    const generation = this.generation;
    this.timer = setTimeout(() => void this.attempt(generation), delayMs);
  }

  private give(error: string | undefined): void {
    this.running = false;
    this.host.state('closed', error);
  }
}

function messageOf(end: StreamEnd): string | undefined {
  switch (end.kind) {
    case 'ended':
      return undefined;
    case 'refused':
      return end.message;
    case 'failed':
      return end.error instanceof Error ? end.error.message : String(end.error);
  }
}
