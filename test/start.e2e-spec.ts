import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { builtServerSuite, freePort, listenBacklog, openSse } from './support/server-process.js';

const STACK_LINE = /^\s+at\s/m;
/** The embedded default, SQLite under DATA_DIR, whatever engine the other tests run on. */
const EMBEDDED = { DATABASE_URL: '' };

/** Creates libraries one after another: each is a `library` event to the admin. */
async function addLibraries(url: string, token: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    // oxlint-disable-next-line no-await-in-loop -- one event after another, in order
    await request(url)
      .post('/libraries')
      .set('Authorization', `Bearer ${token}`)
      .send({ name: `Library ${index}`, type: 'photos' })
      .expect(201);
  }
}

/** An SSE stream from `lastEventId`, and a wait for its first `count` events. */
async function watch(url: string, token: string, count: number, lastEventId?: number) {
  const client = await openSse({ url, token }, lastEventId);
  return { client, received: () => client.waitUntil((c) => c.events.length >= count) };
}

describe('npm start (the built server, spawned)', () => {
  const suite = builtServerSuite('reelay-start-');

  const start = (env: Record<string, string>) => suite.build.spawn(env, suite.workDir);

  it('honours PORT, HOST, JWT_TTL, ADMIN_USERNAME, ADMIN_PASSWORD and the ./data default', async () => {
    const port = await freePort();
    const server = await start({
      PORT: String(port),
      HOST: '127.0.0.2',
      JWT_TTL: '30m',
      ADMIN_USERNAME: 'boss',
      ADMIN_PASSWORD: 'boss-password',
      ...EMBEDDED,
    });
    const url = await server.listening();
    expect(url).toBe(`http://127.0.0.2:${port}`);

    const login = await request(url)
      .post('/auth/login')
      .send({ username: 'boss', password: 'boss-password' })
      .expect(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 1800 });
    await request(url)
      .get('/auth/me')
      .set('Authorization', `Bearer ${(login.body as { accessToken: string }).accessToken}`)
      .expect(200);
    await expect(request(`http://127.0.0.1:${port}`).get('/health')).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(existsSync(join(suite.workDir, 'data/reelay.db'))).toBe(true);
    expect(existsSync(join(suite.workDir, 'data/jwt-secret'))).toBe(true);
    expect(server.stderr).not.toContain('boss-password');
    expect(server.stdout).not.toContain('boss-password');

    await server.stop();
    const exit = await server.exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
  });

  it('takes DATA_DIR, picks a free port for PORT=0 with a deep accept queue, and prints a generated admin password once', async () => {
    const dataDir = join(suite.workDir, 'elsewhere/state');
    const first = await start({ PORT: '0', DATA_DIR: dataDir, ...EMBEDDED });
    const url = await first.listening();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    const backlog = await listenBacklog(Number(new URL(url).port));
    expect(backlog.actual).toBe(backlog.expected);
    const printed = /Username: admin\s+Password: (\S+)/.exec(first.stderr);
    expect(printed).not.toBeNull();
    const password = (printed as RegExpExecArray)[1];
    await request(url).post('/auth/login').send({ username: 'admin', password }).expect(200);
    expect(existsSync(join(dataDir, 'reelay.db'))).toBe(true);
    expect(existsSync(join(suite.workDir, 'data'))).toBe(false);
    await first.stop();

    const second = await start({ PORT: '0', DATA_DIR: dataDir, ...EMBEDDED });
    const secondUrl = await second.listening();
    expect(second.stderr).not.toContain('Password:');
    await request(secondUrl).post('/auth/login').send({ username: 'admin', password }).expect(200);
  });

  it('keeps event ids rising across a stop and a SIGKILL; a resume across the crash gets resync', async () => {
    const env = { PORT: '0', ADMIN_PASSWORD: 'admin-password' };
    const boot = () => suite.build.boot(env, suite.workDir);
    const first = await boot();
    const beforeStop = await watch(first.url, first.token, 3);
    await addLibraries(first.url, first.token, 3);
    await beforeStop.received();
    const seen = beforeStop.client.ids;
    beforeStop.client.close();
    await first.process.stop();

    const second = await boot();
    await addLibraries(second.url, second.token, 1);
    const exact = await watch(second.url, second.token, 3, seen[0]);
    await exact.received();
    expect(exact.client.events.map((frame) => frame.event)).toEqual([
      'library',
      'library',
      'library',
    ]);
    expect(exact.client.ids).toEqual([seen[1], seen[2], seen[2] + 1]);
    exact.client.close();

    const beforeCrash = await watch(second.url, second.token, 2);
    await addLibraries(second.url, second.token, 2);
    await beforeCrash.received();
    const newestBeforeCrash = Math.max(...beforeCrash.client.ids);
    beforeCrash.client.close();
    expect((await second.process.kill()).signal).toBe('SIGKILL');

    const third = await boot();
    const acrossCrash = await watch(third.url, third.token, 2, newestBeforeCrash);
    await addLibraries(third.url, third.token, 1);
    await acrossCrash.received();
    const [resync, after] = acrossCrash.client.events;
    expect(resync.event).toBe('resync');
    expect(after.event).toBe('library');
    expect(Number(after.id)).toBeGreaterThan(newestBeforeCrash);
    acrossCrash.client.close();
  });

  it('stops on bad values with exit code 1 and a message listing each, without a stack trace', async () => {
    const server = await start({ PORT: 'abc', JWT_TTL: 'soon', ADMIN_PASSWORD: 'short' });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.stderr.trim().split('\n')).toEqual([
      'Invalid configuration:',
      '  - ADMIN_PASSWORD must be 8 to 256 characters long',
      '  - PORT must be a whole number from 0 to 65535 (got "abc")',
      '  - JWT_TTL must be a positive duration such as 3600, 30m, 1h or 7d, at most 365d (got "soon")',
    ]);
    expect(server.stdout).toBe('');
    expect(existsSync(join(suite.workDir, 'data'))).toBe(false);
  });

  it('stops with a clear message when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((listening) => blocker.listen(0, '127.0.0.1', listening));
    const { port } = blocker.address() as { port: number };
    try {
      const server = await start({ PORT: String(port), ADMIN_PASSWORD: 'admin-password' });
      const { code } = await server.exited;
      expect(code).toBe(1);
      expect(server.stderr).toContain(`Cannot listen on http://127.0.0.1:${port}:`);
      expect(server.stderr).toContain('EADDRINUSE');
      expect(server.stderr).not.toMatch(STACK_LINE);
    } finally {
      await new Promise((closed) => blocker.close(closed));
    }
  });

  it('stops with a clear message when DATA_DIR cannot be used', async () => {
    const file = join(suite.workDir, 'a-file');
    writeFileSync(file, 'not a folder');
    const server = await start({
      DATA_DIR: join(file, 'data'),
      PORT: '0',
      ADMIN_PASSWORD: 'x'.repeat(8),
    });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.stderr).toContain(`DATA_DIR "${join(file, 'data')}" cannot be used:`);
    expect(server.stderr).toContain('ENOTDIR');
    expect(server.stderr).not.toMatch(STACK_LINE);
  });
});
