import { Backoff } from './backoff.js';
import { ReelayRequestError } from './errors.js';
import { retryAfterMs } from './transport.js';

export interface ReelaySessionOptions {
  /** The server's origin; `''` (the default) for the page's own. */
  url?: string;
  fetch?: typeof fetch;
  /** How long before the access token expires to refresh it (default: a fifth of its life). */
  refreshAheadMs?: number;
}

/** What login and refresh answer. */
interface TokenResponse {
  accessToken: string;
  expiresIn: number;
}

const REFRESH_COOKIE = 'refresh';

/**
 * A login session: the access token, refreshed before it expires with the session's refresh
 * cookie (`POST /auth/refresh`, which rotates it), and ended with `logout`. In a browser the
 * refresh cookie stays HttpOnly in the cookie jar; in Node, which has no jar, the session keeps
 * it in memory. `resume()` picks a session up again after a page reload.
 */
export class ReelaySession {
  readonly url: string;
  private readonly fetchApi: typeof fetch;
  private readonly refreshAheadMs?: number;
  private token?: string;
  private expiry?: number;
  /** Node only: the refresh cookie, which browsers keep out of reach of scripts. */
  private refreshCookie?: string;
  private refreshing?: Promise<boolean>;
  private timer?: ReturnType<typeof setTimeout>;
  /** Spaces the next tries of a refresh that got no answer (the server unreachable). */
  private readonly retries = new Backoff({ initialDelayMs: 1000, maxDelayMs: 30_000 });
  private readonly listeners = new Set<(signedIn: boolean) => void>();

  constructor(options: ReelaySessionOptions = {}) {
    this.url = options.url ?? '';
    this.fetchApi = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.refreshAheadMs = options.refreshAheadMs;
  }

  get signedIn(): boolean {
    return this.token !== undefined;
  }

  /** The current access token, for a bearer header. */
  get accessToken(): string | undefined {
    return this.token;
  }

  /** When the access token expires (epoch ms). */
  get expiresAt(): number | undefined {
    return this.expiry;
  }

  /** Throws ReelayRequestError: 401 for a wrong password, 429 when throttled. */
  async login(username: string, password: string): Promise<void> {
    const response = await this.post('/auth/login', { username, password });
    await this.accept(response);
  }

  /** After a page reload: signs in again from the refresh cookie, if it is still good. */
  resume(): Promise<boolean> {
    return this.refresh();
  }

  /**
   * A new access token from the refresh cookie; false when the session is over (logged out,
   * revoked, expired). Concurrent calls share one request, as the server rotates the cookie.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.post('/auth/refresh')
      .then(async (response) => {
        if (response.status === 401) {
          this.forget();
          return false;
        }
        await this.accept(response);
        return true;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Ends the session on the server (its open streams close) and here. */
  async logout(): Promise<void> {
    try {
      await this.post('/auth/logout');
    } finally {
      this.forget();
    }
  }

  /**
   * A JSON API call with the session's token; after a 401 it refreshes once and tries again.
   * Throws ReelayRequestError for an error answer.
   */
  async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    let response = await this.send(path, init);
    if (response.status === 401 && (await this.refresh())) response = await this.send(path, init);
    if (!response.ok) throw await errorOf(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  /** Calls the listener with `signedIn` on every login and on the session's end. */
  onChange(listener: (signedIn: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops refreshing (the session itself stays valid on the server). */
  close(): void {
    clearTimeout(this.timer);
  }

  private send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token !== undefined) headers.set('Authorization', `Bearer ${this.token}`);
    if (init.body !== undefined && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
    return this.fetchApi(`${this.url}${path}`, { ...init, headers, credentials: 'include' });
  }

  /** An auth call: with the refresh cookie this client keeps itself where it runs in Node. */
  private post(path: string, body?: unknown): Promise<Response> {
    return this.send(path, {
      method: 'POST',
      headers:
        this.refreshCookie === undefined
          ? undefined
          : { Cookie: `${REFRESH_COOKIE}=${this.refreshCookie}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async accept(response: Response): Promise<void> {
    if (!response.ok) throw await errorOf(response);
    const { accessToken, expiresIn } = (await response.json()) as TokenResponse;
    const cookie = refreshCookieOf(response);
    if (cookie !== undefined) this.refreshCookie = cookie;
    const wasSignedIn = this.signedIn;
    this.token = accessToken;
    this.expiry = Date.now() + expiresIn * 1000;
    this.schedule(expiresIn * 1000);
    if (!wasSignedIn) this.notify(true);
  }

  private schedule(lifeMs: number): void {
    const aheadMs = this.refreshAheadMs ?? lifeMs / 5;
    this.retries.reset();
    this.refreshIn(Math.max(0, lifeMs - aheadMs));
  }

  /**
   * The refresh of the timer: one that gets no answer is tried again after a growing delay,
   * while the session lasts; one the server refuses ends the session (`refresh` forgets it).
   */
  private refreshIn(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.refresh().catch(() => {
        if (this.signedIn) this.refreshIn(this.retries.next());
      });
    }, delayMs);
    // In Node a pending refresh must not keep a finished script alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private forget(): void {
    clearTimeout(this.timer);
    const wasSignedIn = this.signedIn;
    this.token = this.expiry = this.refreshCookie = undefined;
    if (wasSignedIn) this.notify(false);
  }

  private notify(signedIn: boolean): void {
    for (const listener of this.listeners) listener(signedIn);
  }
}

async function errorOf(response: Response): Promise<ReelayRequestError> {
  const body = (await response.json().catch(() => ({}))) as { message?: unknown };
  const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
  return new ReelayRequestError(
    response.status,
    typeof message === 'string' ? message : response.statusText,
    retryAfterMs(response.headers.get('retry-after')),
  );
}

/** The rotated refresh cookie, where the runtime shows Set-Cookie (Node; never a browser). */
function refreshCookieOf(response: Response): string | undefined {
  for (const line of response.headers.getSetCookie?.() ?? []) {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq).trim() === REFRESH_COOKIE) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
