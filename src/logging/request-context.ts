import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The request a piece of work is done for, as the log lines written meanwhile tell it. */
export interface RequestContext {
  readonly requestId: string;
  /** Set once the response is done: work that outlives it is no longer the request's. */
  finished: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** An incoming request id is kept only if it is short and cannot break a log line. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The id a request is known by: the `X-Request-Id` the client (or a proxy in front) sent when it
 * is at most 64 letters, digits, `.`, `_` or `-`, else a new UUID.
 */
export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && ACCEPTED_REQUEST_ID.test(incoming)
    ? incoming
    : randomUUID();
}

/** Runs `work`, and everything it starts, as part of the request `context`. */
export function runInRequest<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The id of the request being handled here, if any and if it is still in progress. */
export function currentRequestId(): string | undefined {
  const context = storage.getStore();
  return context === undefined || context.finished ? undefined : context.requestId;
}
