import { ReelayRequestError } from '@reelay/client';

/** What to tell the user about a failed request. */
export function messageOf(error: unknown): string {
  if (error instanceof ReelayRequestError) {
    if (error.status === 429 && error.retryAfterMs !== undefined) {
      return `${error.message} (try again in ${Math.ceil(error.retryAfterMs / 1000)} s)`;
    }
    return error.message;
  }
  if (error instanceof TypeError) return 'The server cannot be reached';
  return error instanceof Error ? error.message : String(error);
}
