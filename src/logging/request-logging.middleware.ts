import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { redactUrl } from './log-redaction.js';
import { type RequestContext, requestIdFor, runInRequest } from './request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A longer path is cut in the access line, once redacted, so no request can bloat the log. */
const MAX_LOGGED_PATH = 2048;

export interface RequestLoggingOptions {
  /**
   * Whether a connection goes on past its response: an event stream that took the socket over
   * once its headers were out (src/events/sse/response-handover.ts) finishes Node's response at
   * once, and its request is logged when the socket closes instead.
   */
  outlivesResponse?: (socket: Socket) => boolean;
}

/** What the access line tells of a request, read when its response is done. */
interface AccessEntry {
  startedAt: number;
  requestId: string;
  method: string;
  path: string;
  status: number;
  remoteAddress: string | undefined;
  aborted: boolean;
}

/**
 * Gives each request its id (REQUEST_ID_HEADER in, when acceptable, and out), runs the rest of
 * its handling in that request's context, so that every line logged for it carries the id, and
 * writes one access line when it is done. An event stream costs nothing per event: its line is
 * written once, when it ends, with how long it lasted.
 */
export function requestLogging(
  options: RequestLoggingOptions = {},
): (request: Request, response: Response, next: NextFunction) => void {
  const logger = new Logger('Http');
  const outlivesResponse = options.outlivesResponse ?? (() => false);
  const write = (entry: AccessEntry) => {
    const durationMs = Math.round(performance.now() - entry.startedAt);
    const { requestId, method, path, status, remoteAddress, aborted } = entry;
    logger.log(`${method} ${path} ${status} ${durationMs}ms`, {
      requestId,
      method,
      path,
      status,
      durationMs,
      remoteAddress,
      ...(aborted ? { aborted } : {}),
    });
  };
  /**
   * Made out here: a closure made in the middleware would keep its scope, the request and the
   * response included, for as long as the stream lives (8 KB of heap per idle stream, measured
   * with the benchmark's burst case).
   */
  const writeOnClose = (entry: AccessEntry) => () => write(entry);
  return (request, response, next) => {
    const startedAt = performance.now();
    const socket = request.socket;
    const context: RequestContext = {
      requestId: requestIdFor(request.headers['x-request-id']),
      finished: false,
    };
    response.setHeader(REQUEST_ID_HEADER, context.requestId);
    response.once('close', () => {
      context.finished = true;
      const entry = accessEntry(startedAt, context.requestId, request, response);
      if (!socket.destroyed && outlivesResponse(socket)) {
        // 'close' comes once; `once` would add a wrapper to each idle stream's heap.
        socket.on('close', writeOnClose(entry));
      } else {
        write(entry);
      }
    });
    runInRequest(context, next);
  };
}

function accessEntry(
  startedAt: number,
  requestId: string,
  request: Request,
  response: Response,
): AccessEntry {
  const path = redactUrl(request.originalUrl);
  return {
    startedAt,
    requestId,
    method: request.method,
    path: path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path,
    status: response.statusCode,
    remoteAddress: request.ip,
    aborted: !response.writableFinished,
  };
}
