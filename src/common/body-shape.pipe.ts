import {
  type ArgumentMetadata,
  BadRequestException,
  Injectable,
  type PipeTransform,
} from '@nestjs/common';

/** No request body of this API nests deeper than a few levels; validation recurses once per level. */
export const MAX_BODY_DEPTH = 32;

/**
 * What is wrong with a parsed JSON value whatever the route: arrays and objects nested deeper
 * than `limit`, or a NUL character in a string or a key. Iterative, and it stops at the first
 * fault: a hostile body costs no more than its size.
 */
export function bodyFault(value: unknown, limit: number): string | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current === 'string') {
      if (current.includes('\0')) return NUL_FAULT;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return `The body nests deeper than ${limit} levels`;
    for (const [key, child] of Object.entries(current)) {
      if (key.includes('\0')) return NUL_FAULT;
      pending.push([child, depth + 1]);
    }
  }
  return undefined;
}

const NUL_FAULT = 'Strings may not contain NUL characters';

/**
 * Refuses, before validation sees it, a body nested too deep (5,000 levels made
 * class-transformer overflow the stack: a 500, at ten times the CPU of a flat body) or holding a
 * NUL character, which no field of this API takes and PostgreSQL cannot store in text.
 */
@Injectable()
export class BodyShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    const fault = bodyFault(value, MAX_BODY_DEPTH);
    if (fault !== undefined) throw new BadRequestException(fault);
    return value;
  }
}
