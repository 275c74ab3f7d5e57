/** What a secret is replaced with in a log line. */
export const REDACTED = '[REDACTED]';

/** The most a redacted value's nesting is walked; deeper values are not logged at all. */
const MAX_DEPTH = 8;

/** Query parameters and cookies that carry a credential (names compared case-insensitively). */
const SECRET_PARAMETERS = new Set([
  'token',
  'ticket',
  'access_token',
  'refresh_token',
  'refresh',
  'password',
]);

/**
 * Names of fields and headers whose value is a credential: the password fields of Reelay's
 * bodies, its tokens and tickets, the headers that carry them, and whatever else is named so.
 */
const SECRET_NAME =
  /(?:password|passwd|secret|token|ticket)$|^(?:authorization|proxy-authorization|cookie|set-cookie|refresh)$/i;

/**
 * A JWT: three base64url parts, the first a JSON header (`{"` encodes as `eyJ`; the shortest,
 * `{"alg":"none"}`, takes 20 characters), the dots maybe %-encoded, wherever it stands (glued
 * to `%3D` in an encoded URL, say). The header's bound keeps the search linear on hostile text
 * such as `eyJeyJeyJ...`.
 */
const JWT = /eyJ[\w-]{8,512}(?:\.|%2[eE])[\w-]+(?:\.|%2[eE])[\w-]*/g;

/** A credential after its scheme, as in an Authorization header. */
const AUTH_SCHEME = /\b(bearer|basic)(\s+)[^\s"',;]+/gi;

/** A header written out as text (`Cookie: token=...`): all of its value goes. */
const HEADER_TEXT = /\b((?:proxy-)?authorization|set-cookie|cookie)(\s*:\s*)[^\r\n"]*/gi;

/** `name=value` of a secret parameter, in a URL's query or a cookie string. */
const PARAMETER_TEXT =
  /(?<![\w-])(token|ticket|access_token|refresh_token|refresh|password)=[^&\s;,"'<>]*/gi;

/** The names of JSON fields that hold a secret. */
const SECRET_FIELD_NAMES =
  '(?:[\\w-]*(?:password|passwd|secret|token|ticket)|(?:proxy-)?authorization|set-cookie|cookie|refresh)';

/** A JSON field whose name says it is a secret: its string, number or array of strings. */
const JSON_FIELD = new RegExp(
  `("${SECRET_FIELD_NAMES}"\\s*:\\s*)(?:"(?:[^"\\\\]|\\\\.)*"|\\[\\s*(?:"(?:[^"\\\\]|\\\\.)*"\\s*(?:,\\s*)?)*\\]|[^\\s,}\\]]+)`,
  'gi',
);

/**
 * The same field in JSON written inside a JSON string (`{\"password\":\"...\"}`), at any depth
 * of escaping: its value holds no bare quote, so it ends at the first one. A run of backslashes
 * is read from its start only, which keeps the search linear.
 */
const ESCAPED_JSON_FIELD = new RegExp(
  `((?<!\\\\)(\\\\+)"${SECRET_FIELD_NAMES}\\2"\\s*:\\s*)\\2"[^"]*"`,
  'gi',
);

/** Whether a field, header or parameter of this name holds a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * The text with every credential Reelay knows the shape of replaced by `[REDACTED]`: JWTs
 * anywhere, Bearer and Basic credentials, Authorization and Cookie headers written out, secret
 * query parameters and cookies (`token=`, `ticket=`, `refresh=` ...) and secret JSON fields.
 * Secrets of no known shape (a refresh cookie's value on its own, say) are for the caller never
 * to log.
 */
export function redactText(text: string): string {
  return text
    .replace(JSON_FIELD, `$1"${REDACTED}"`)
    .replace(ESCAPED_JSON_FIELD, `$1$2"${REDACTED}$2"`)
    .replace(HEADER_TEXT, `$1$2${REDACTED}`)
    .replace(PARAMETER_TEXT, `$1=${REDACTED}`)
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED);
}

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/**
 * A request's URL as it may be logged: the value of each secret query parameter replaced,
 * whichever way its name is written (`%74oken`, `Token`, `token[]` reach the same parameter),
 * then the rest of the text redacted as any log text is.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return redactText(url);
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals < 0 ? pair : pair.slice(0, equals);
      const name = decodedName(rawName).replace(/\[.*$/, '').trim().toLowerCase();
      return SECRET_PARAMETERS.has(name) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return redactText(`${url.slice(0, queryStart)}?${query}`);
}

/**
 * A structured value (a log line's fields, an object logged as its message) with every field
 * named as a secret replaced and every string redacted. Returns new objects and arrays, never
 * the ones it was given; cycles and what lies deeper than a few levels become placeholders.
 */
export function redactValue(value: unknown): unknown {
  return redactAt(value, 0, new Set());
}

function redactAt(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  ancestors.add(value);
  try {
    return redactObject(value, depth, ancestors);
  } catch {
    // A getter or toJSON that throws: the line is written without this value.
    return '[Unreadable]';
  } finally {
    ancestors.delete(value);
  }
}

function redactObject(value: object, depth: number, ancestors: Set<object>): unknown {
  if (Array.isArray(value) || value instanceof Set) {
    return [...value].map((item: unknown) => redactAt(item, depth + 1, ancestors));
  }
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: redactStack(value) };
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return redactAt((value as { toJSON: () => unknown }).toJSON(), depth + 1, ancestors);
  }
  const copy: Record<string, unknown> = {};
  const fields = value instanceof Map ? Object.fromEntries(value) : value;
  for (const [key, item] of Object.entries(fields)) {
    copy[key] = isSecretName(key) ? REDACTED : redactAt(item, depth + 1, ancestors);
  }
  return copy;
}

function redactStack(error: Error): string | undefined {
  return error.stack === undefined ? undefined : redactText(error.stack);
}
