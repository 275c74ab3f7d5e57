import { HttpException, HttpStatus } from '@nestjs/common';

/** A refusal that tells the client when to try again (`Retry-After`, in seconds). */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    status: number = HttpStatus.TOO_MANY_REQUESTS,
  ) {
    super(message, status);
  }
}
