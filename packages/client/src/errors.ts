/** An API request the server refused: its status and the `message` of its JSON error body. */
export class ReelayRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** For 429 and 503: when to try again, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ReelayRequestError';
  }
}

/** Hands an error thrown by an application's handler to the runtime, without stopping the stream. */
export function reportHandlerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (report) report(error);
  else console.error(error);
}
