import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { eventually } from './support/eventually.js';
import { findLeakedSecrets } from './support/log-capture.global-teardown.js';
import {
  builtServerSuite,
  freePort,
  type RunningServer,
  type ServerProcess,
} from './support/server-process.js';
import { SseFrameClient } from './support/sse-frame-client.js';

const PASSWORD = 'logging-admin-password';
const WRONG_PASSWORD = 'not-the-password-of-anyone';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  time: string;
  level: string;
  pid: number;
  context?: string;
  requestId?: string;
  message: unknown;
  [field: string]: unknown;
}

function linesOf(output: string): string[] {
  return output.split('\n').filter((line) => line !== '');
}

/** Every line the server wrote, each of which must be a JSON log line. */
function jsonLines(server: ServerProcess): LogLine[] {
  return linesOf(server.stdout + server.stderr).map((line) => JSON.parse(line) as LogLine);
}

function linesOfRequest(server: ServerProcess, requestId: string): LogLine[] {
  return jsonLines(server).filter((line) => line.requestId === requestId);
}

/** The access line of the request, once the server wrote it. */
function accessLine(server: ServerProcess, requestId: string): Promise<LogLine> {
  return eventually(
    () => linesOfRequest(server, requestId).find((line) => line.context === 'Http'),
    (line) => line !== undefined,
  ) as Promise<LogLine>;
}

/** A refresh cookie's `refresh=<session>.<secret>` pair, as a response set it. */
function refreshCookie(response: request.Response): string {
  const cookies = (response.headers['set-cookie'] ?? []) as unknown as string[];
  const cookie = cookies.find((entry) => entry.startsWith('refresh='));
  if (cookie === undefined) throw new Error('no refresh cookie was set');
  return cookie.split(';')[0];
}

/** Opens `path` as an event stream, holds it open for `holdMs`, then hangs up. */
async function holdStream(url: string, path: string, holdMs: number): Promise<string> {
  const client = await SseFrameClient.open(url, path);
  await client.waitUntil((c) => c.frames.length > 0);
  expect(client.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  client.close();
  return client.headers['x-request-id'];
}

describe('structured logs (the built server, spawned)', () => {
  const suite = builtServerSuite('reelay-logging-');

  const boot = (env: Record<string, string>): Promise<RunningServer> =>
    suite.build.boot({ PORT: '0', ADMIN_PASSWORD: PASSWORD, ...env }, suite.workDir);

  it('writes JSON lines, ties each line of a request to its id, and never writes a secret', async () => {
    const server = await boot({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' });
    const { url } = server;
    const http = () => request(url);
    const secrets = [PASSWORD, WRONG_PASSWORD];

    // A login: the id the client sent is kept, echoed, and on the lines written meanwhile.
    const login = await http()
      .post('/auth/login')
      .set('X-Request-Id', 'login.trace_1')
      .send({ username: 'admin', password: PASSWORD })
      .expect(200);
    expect(login.headers['x-request-id']).toBe('login.trace_1');
    const token = (login.body as { accessToken: string }).accessToken;
    const refresh = refreshCookie(login);
    secrets.push(token, token.split('.')[2], refresh.split('.')[1]);
    await accessLine(server.process, 'login.trace_1');
    expect(linesOfRequest(server.process, 'login.trace_1')).toEqual([
      expect.objectContaining({
        context: 'AuthService',
        message: expect.stringMatching(/logged in/),
      }),
      expect.objectContaining({
        context: 'Http',
        level: 'info',
        message: expect.stringMatching(/^POST \/auth\/login 200 \d+ms$/),
        method: 'POST',
        path: '/auth/login',
        status: 200,
        durationMs: expect.any(Number),
        remoteAddress: '127.0.0.1',
      }),
    ]);

    // A failed login gets an id of the server's making, as does any unfit id a client sends.
    const failed = await http()
      .post('/auth/login')
      .send({ username: 'admin', password: WRONG_PASSWORD })
      .expect(401);
    const failedId = failed.headers['x-request-id'];
    expect(failedId).toMatch(UUID);
    await accessLine(server.process, failedId);
    expect(linesOfRequest(server.process, failedId).map((line) => line.context)).toEqual([
      'AuthService',
      'Http',
    ]);
    const unfit = ['x'.repeat(65), 'two words', 'a/b', '<script>', `id:${token}`];
    for (const id of unfit) {
      // oxlint-disable-next-line no-await-in-loop -- one after another, each checked
      const response = await http().get('/health').set('X-Request-Id', id).expect(200);
      expect(response.headers['x-request-id']).toMatch(UUID);
    }

    // Requests at once: each line goes to its own request, across the awaits of each login.
    const users = Array.from({ length: 6 }, (_, index) => ({
      username: `parallel-${index}`,
      password: `password-of-parallel-${index}`,
    }));
    for (const user of users) {
      secrets.push(user.password);
      // oxlint-disable-next-line no-await-in-loop -- one user after another
      await http()
        .post('/users')
        .set('Authorization', `Bearer ${token}`)
        .send({ ...user, role: 'user' })
        .expect(201);
    }
    await Promise.all(
      users.map((user) =>
        http()
          .post('/auth/login')
          .set('X-Request-Id', `login-of-${user.username}`)
          .send(user)
          .expect(200),
      ),
    );
    for (const user of users) {
      // oxlint-disable-next-line no-await-in-loop -- each request's lines in turn
      await accessLine(server.process, `login-of-${user.username}`);
      const loggedIn = linesOfRequest(server.process, `login-of-${user.username}`).filter(
        (line) => line.context === 'AuthService',
      );
      expect(loggedIn).toHaveLength(1);
      expect(loggedIn[0].message).toContain(`("${user.username}") logged in`);
    }

    // The token in a URL, a cookie, a header, a refresh and a stream ticket.
    const streamId = await holdStream(url, `/sse?token=${token}`, 300);
    const streamLine = await accessLine(server.process, streamId);
    expect(streamLine).toMatchObject({
      message: expect.stringMatching(/^GET \/sse\?token=\[REDACTED\] 200 \d+ms$/),
      path: '/sse?token=[REDACTED]',
      status: 200,
    });
    expect(streamLine.durationMs).toBeGreaterThanOrEqual(250);
    expect(linesOfRequest(server.process, streamId)).toContainEqual(
      expect.objectContaining({ level: 'debug', message: expect.stringMatching(/^Stream opened/) }),
    );
    await http().get('/auth/me').set('Cookie', `token=${token}`).expect(200);
    await http().get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    const refreshed = await http().post('/auth/refresh').set('Cookie', refresh).expect(200);
    const newToken = (refreshed.body as { accessToken: string }).accessToken;
    secrets.push(newToken, refreshCookie(refreshed).split('.')[1]);
    const issued = await http()
      .post('/auth/stream-ticket')
      .set('Authorization', `Bearer ${newToken}`)
      .expect(201);
    const { ticket } = issued.body as { ticket: string };
    secrets.push(ticket);
    const ticketStreamId = await holdStream(url, `/sse?ticket=${ticket}`, 50);
    expect((await accessLine(server.process, ticketStreamId)).path).toBe('/sse?ticket=[REDACTED]');

    await server.process.stop();
    const lines = jsonLines(server.process);
    for (const line of lines) {
      expect(line).toEqual(
        expect.objectContaining({
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          level: expect.stringMatching(/^(fatal|error|warn|info|debug)$/),
          pid: server.process.child.pid,
        }),
      );
    }
    expect(lines.some((line) => line.message === 'Applied migration 0001-foundation')).toBe(true);
    const everything = server.process.stdout + server.process.stderr;
    for (const secret of secrets) expect(everything).not.toContain(secret);
    for (const id of unfit) expect(everything).not.toContain(id);
  });

  it('writes nothing below LOG_LEVEL', async () => {
    const port = await freePort();
    const server = await suite.build.spawn(
      { PORT: String(port), ADMIN_PASSWORD: PASSWORD, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' },
      suite.workDir,
    );
    const url = `http://127.0.0.1:${port}`;
    await eventually(
      () =>
        request(url)
          .get('/health')
          .then(
            (response) => response.status,
            () => 0,
          ),
      (status) => status === 200,
      20_000,
    );
    await request(url).post('/auth/login').send({ username: 'admin', password: PASSWORD });
    await request(url).get('/no/such/route').expect(404);
    await server.stop();
    expect(server.stdout).not.toContain('Listening on');
    for (const line of jsonLines(server)) expect(['warn', 'error', 'fatal']).toContain(line.level);
  });

  it('writes pretty lines when asked, without colours off a terminal; streams that keep their response are logged at their end too', async () => {
    const server = await boot({ LOG_FORMAT: 'pretty', SSE_HANDOVER: 'off' });
    const streamId = await holdStream(server.url, `/sse?token=${server.token}`, 200);
    await eventually(
      () => linesOf(server.process.stdout).find((line) => line.includes(`(request ${streamId})`)),
      (line) => line !== undefined,
    );
    await server.process.stop();
    const lines = linesOf(server.process.stdout);
    expect(lines).toContainEqual(
      expect.stringMatching(/^\S+Z INFO {2}\[Reelay\] Listening on http:\/\/127\.0\.0\.1:\d+ /),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `INFO {2}\\[Http\\] GET /sse\\?token=\\[REDACTED\\] 200 \\d+ms \\(request ${streamId}\\)$`,
        ),
      ),
    );
    for (const line of lines) {
      expect(line).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (FATAL|ERROR|WARN |INFO |DEBUG) /,
      );
    }
    // oxlint-disable-next-line no-control-regex -- no colour escape off a terminal
    expect(server.process.stdout).not.toMatch(/\u001b\[/);
    expect(server.process.stdout).not.toContain(server.token.split('.')[2]);
    expect(server.process.stdout).not.toContain(PASSWORD);
  });
});

describe('the check of the e2e suites’ logs (test/support/log-capture.global-teardown.ts)', () => {
  let runDir: string;

  beforeEach(() => {
    runDir = mkdtempSync(join(tmpdir(), 'reelay-log-check-'));
    mkdirSync(join(runDir, 'logs'));
    mkdirSync(join(runDir, 'secrets'));
  });
  afterEach(() => rmSync(runDir, { recursive: true, force: true }));

  const write = (folder: 'logs' | 'secrets', name: string, lines: string[]) =>
    writeFileSync(join(runDir, folder, name), `${lines.join('\n')}\n`);

  it('finds every line that holds a recorded secret, a JWT or a credential in a URL', () => {
    const password = 'planted-password-1';
    const refreshSecret = '7ZNvr-ZkpS4vnjJkc_Hh6r-DU830GKsA13G5YpxCf1c';
    const jwtShaped = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    write('secrets', 'a.e2e-spec.ts.1.jsonl', [JSON.stringify(password)]);
    write('secrets', 'b.e2e-spec.ts.2.jsonl', [JSON.stringify(refreshSecret)]);
    write('logs', 'a.e2e-spec.ts.1.jsonl', [
      JSON.stringify({ level: 'info', message: 'GET /libraries 200 3ms' }),
      JSON.stringify({ level: 'info', message: 'login', body: { password } }),
      JSON.stringify({ level: 'info', message: `said "Token:\n${jwtShaped}"` }),
      JSON.stringify({ level: 'info', message: 'GET /sse?token=[REDACTED] 200 1ms' }),
    ]);
    write('logs', 'b.e2e-spec.ts.child-7.log', [
      'plain text from a child',
      `Cookie: refresh=0b6c3a4e.${refreshSecret}`,
      'GET /sse?ticket=abc 200',
      'a shorter run of it: 7ZNvr-ZkpS4vnjJkc_Hh6r',
    ]);
    const leaks = findLeakedSecrets(runDir).map(({ file, line, what }) => ({
      file: file.slice(runDir.length + 1),
      line,
      what,
    }));
    expect(leaks).toEqual([
      { file: 'logs/a.e2e-spec.ts.1.jsonl', line: 2, what: expect.stringMatching(/a suite used/) },
      { file: 'logs/a.e2e-spec.ts.1.jsonl', line: 3, what: 'a JWT' },
      {
        file: 'logs/b.e2e-spec.ts.child-7.log',
        line: 2,
        what: expect.stringMatching(/a suite used/),
      },
      { file: 'logs/b.e2e-spec.ts.child-7.log', line: 3, what: 'a token= or ticket= value' },
    ]);
  });

  it('finds nothing in clean logs', () => {
    write('secrets', 'a.jsonl', [JSON.stringify('planted-password-1')]);
    write('logs', 'a.jsonl', [
      JSON.stringify({
        message: 'GET /sse?token=[REDACTED] 200 1ms',
        path: '/sse?token=[REDACTED]',
      }),
      JSON.stringify({ message: 'User 1 ("planted") logged in' }),
    ]);
    expect(findLeakedSecrets(runDir)).toEqual([]);
  });
});
