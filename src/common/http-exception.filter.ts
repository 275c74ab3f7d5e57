import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { databaseUnavailable } from '../database/database-errors.js';
import { RetryLaterException } from './retry-later.exception.js';

/** How long a client is told to wait when the database is unreachable. */
const DATABASE_RETRY_SECONDS = 5;

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/** Errors raised below Nest (the body parser's, for one) carry their status this way. */
interface StatusError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * Nest's answer to an unknown route names the URL, and a query string may carry a token: the
 * error names the path alone.
 */
function withoutQueryString(body: ErrorBody, request: Request): ErrorBody {
  const url = request.originalUrl;
  if (typeof url !== 'string' || typeof body.message !== 'string') return body;
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return body;
  return { ...body, message: body.message.replaceAll(url, url.slice(0, queryStart)) };
}

function statusOf(error: StatusError): number | undefined {
  const status = error.status ?? error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

/**
 * Every error leaves as `{statusCode, error, message}`. Client errors say what was wrong;
 * anything unexpected is logged here and answered with a bare 500, never a stack trace.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(caught: unknown, host: ArgumentsHost): void {
    const exception = databaseUnavailable(caught) ? this.databaseDown(caught) : caught;
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const body = withoutQueryString(this.toBody(exception), http.getRequest<Request>());
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (exception instanceof RetryLaterException) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    response.status(body.statusCode).json(body);
  }

  /** An outage, not a fault of the request or of Reelay: 503, and when to try again. */
  private databaseDown(error: unknown): RetryLaterException {
    this.logger.warn(`The database is unavailable: ${(error as Error).message}`);
    return new RetryLaterException(
      'The database is unreachable; try again shortly',
      DATABASE_RETRY_SECONDS,
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const payload = exception.getResponse();
      const message =
        typeof payload === 'object' && payload !== null && 'message' in payload
          ? (payload.message as string | string[])
          : exception.message;
      return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
    }
    const status =
      typeof exception === 'object' && exception !== null ? statusOf(exception) : undefined;
    if (status !== undefined && status < 500) {
      const message = (exception as StatusError).message;
      return {
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Error',
        message: typeof message === 'string' ? message : (STATUS_CODES[status] ?? 'Error'),
      };
    }
    if (exception instanceof Error) this.logger.error(exception.message, exception.stack);
    else this.logger.error(String(exception));
    const statusCode = HttpStatus.INTERNAL_SERVER_ERROR;
    return {
      statusCode,
      error: STATUS_CODES[statusCode] as string,
      message: 'Internal server error',
    };
  }
}
