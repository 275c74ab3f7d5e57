import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';

const TAKES_MULTIPART = 'reelay:takes-multipart';

/** Marks a route that reads a `multipart/form-data` body itself (an upload). */
export const TakesMultipart = () => SetMetadata(TAKES_MULTIPART, true);

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

const isJson = (type: string) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
const isMultipart = (type: string) => /^multipart\/form-data\s*(?:;|$)/i.test(type);

/**
 * Bodies are JSON, but for the routes marked with `TakesMultipart`. A form that a browser posts
 * across sites (`application/x-www-form-urlencoded`, `text/plain`) is refused with 415, so no other
 * site can, say, log a browser in as someone else.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    if (!hasBody(request)) return true;
    const type = request.headers['content-type'] ?? '';
    const takesMultipart =
      this.reflector.get<boolean | undefined>(TAKES_MULTIPART, context.getHandler()) === true;
    if (takesMultipart ? isMultipart(type) : isJson(type)) return true;
    throw new UnsupportedMediaTypeException(
      takesMultipart ? 'This route takes multipart/form-data' : 'This route takes application/json',
    );
  }
}
