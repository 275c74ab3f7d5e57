import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DatabaseService } from '../src/database/database.service.js';
import { FfmpegAdapter } from '../src/media/ffmpeg.adapter.js';
import { mediaRow } from './support/media-rows.js';
import { generatedBytes, streamUpload, type UploadResponse } from './support/multipart-upload.js';
import { engineHandshakePath, rawExchange, until, upgradeRequest } from './support/raw-exchange.js';
import { uniquePrefix } from './support/redis-server.js';
import { builtServerSuite, freePort, openSse } from './support/server-process.js';
import { RecordingEventSource } from './support/sse-client.js';
import type { SseFrame, SseFrameClient } from './support/sse-frame-client.js';
import { type ConnectError, RecordingSocket } from './support/socketio-client.js';
import { createTestApp } from './support/test-app.js';

const PASSWORD = 'admin-password';
const STREAMS = 1000;
const RETRY_MS = 1000;
const JITTER_MS = 4000;
const GRACE_MS = 4000;
const MIB = 1024 * 1024;

/** The messages of one event type among a stream's frames, out of their wrapper (`key`). */
function messagesIn<T>(frames: readonly SseFrame[], type: string, key: string): T[] {
  return frames
    .filter((frame) => frame.event === type)
    .map((frame) => (JSON.parse(frame.data ?? '') as Record<string, T>)[key]);
}

interface UploadProgress {
  name: string;
  status: string;
}

const uploadProgressIn = (frames: readonly SseFrame[]) =>
  messagesIn<UploadProgress>(frames, 'upload_progress', 'UploadProgress');

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open: (() => void) | undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open: open as () => void };
}

/** A file of 2 MiB sent in two halves: the second once `opened` settles (never, for a stall). */
async function* halves(opened: Promise<void>): AsyncGenerator<Buffer> {
  yield* generatedBytes(4, MIB / 4);
  await opened;
  yield* generatedBytes(4, MIB / 4);
}

describe('graceful drain on SIGTERM (a real server process)', () => {
  const suite = builtServerSuite('reelay-drain-');

  it('sends 1,000 streams and the Socket.IO clients away spread over the window, lets one upload finish, stops the one that stalls, and exits 0', async () => {
    const env = {
      PORT: String(await freePort()),
      ADMIN_PASSWORD: PASSWORD,
      STREAMS_PER_USER: String(STREAMS + 100),
      SSE_RETRY_MS: String(RETRY_MS),
      SSE_DRAIN_JITTER_MS: String(JITTER_MS),
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    };
    const server = await suite.build.boot(env, suite.workDir);
    const { url, token } = server;
    const http = () => request(url);
    const library = (
      await http()
        .post('/libraries')
        .set('Authorization', `Bearer ${token}`)
        .send({ name: 'Drained', type: 'photos' })
        .expect(201)
    ).body as { id: string };

    const streams: SseFrameClient[] = [];
    for (let batch = 0; batch < STREAMS / 100; batch++) {
      // oxlint-disable-next-line no-await-in-loop -- a hundred connections at a time
      streams.push(...(await Promise.all(Array.from({ length: 100 }, () => openSse(server)))));
    }
    const socketErrors: string[] = [];
    for (const stream of streams) {
      stream.socket.on('error', (error: NodeJS.ErrnoException) =>
        socketErrors.push(error.code ?? error.message),
      );
    }
    const browsers = Array.from(
      { length: 3 },
      () => new RecordingEventSource(`${url}/sse?token=${token}`, ['upload_progress']),
    );
    await Promise.all(browsers.map((browser) => browser.opened()));
    const readyStatesAtEnd: number[] = [];
    for (const { source } of browsers) {
      source.addEventListener('error', () => readyStatesAtEnd.push(source.readyState), {
        once: true,
      });
    }
    const sockets = await Promise.all([
      RecordingSocket.open(url, { query: { token } }),
      RecordingSocket.open(url, { query: { token } }),
      RecordingSocket.open(url, { query: { token }, transports: ['polling'] }),
    ]);
    // One that reconnects by itself, as socket.io-client does unless told otherwise.
    const reconnecting = await RecordingSocket.open(url, {
      query: { token },
      transports: ['polling'],
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
    });
    const refusedReconnects: ConnectError[] = [];
    reconnecting.socket.on('connect_error', (error: ConnectError) => {
      const { responseText } = (error as { context?: { responseText?: unknown } }).context ?? {};
      if (typeof responseText === 'string') error.responseText = responseText;
      refusedReconnects.push(error);
    });

    const finishing = gate();
    const stalled = gate();
    const upload = (fileName: string, opened: Promise<void>) =>
      streamUpload(url, `/libraries/${library.id}/upload`, {
        token,
        fileName,
        file: halves(opened),
        fileSize: 2 * MIB,
      });
    const finishingUpload = upload('finishing.bin', finishing.opened);
    const stalledUpload = upload('stalled.bin', stalled.opened);
    const watcher = streams[0];
    await watcher.waitUntil(
      (client) =>
        ['finishing.bin', 'stalled.bin'].every((name) =>
          uploadProgressIn(client.frames).some((progress) => progress.name === name),
        ),
      10_000,
    );

    const signalledAt = Date.now();
    server.process.child.kill('SIGTERM');

    // Every stream: a retry of its own, then the end of its response, never a reset.
    await Promise.all(streams.map((stream) => stream.waitUntil((client) => client.ended, 10_000)));
    const drainRetries = streams.map((stream) => {
      const retries = stream.frames.filter((frame) => frame.retry !== undefined);
      expect(retries.map((frame) => frame.text)).toHaveLength(2);
      expect(stream.frames.at(-1)).toBe(retries[1]);
      return Number(retries[1].retry);
    });
    expect(Math.min(...drainRetries)).toBeGreaterThanOrEqual(RETRY_MS);
    expect(Math.max(...drainRetries)).toBeLessThanOrEqual(RETRY_MS + JITTER_MS);
    // Uniform over the window: each of its seconds holds a quarter of the clients, give or take
    // 6 standard deviations of a binomial (about 82 of 1,000): a fair draw misses that once in
    // hundreds of millions, 1,000 clients told the same second miss it always.
    const perSecond = Array.from({ length: JITTER_MS / 1000 }, () => 0);
    for (const retry of drainRetries) {
      perSecond[Math.min(perSecond.length - 1, Math.floor((retry - RETRY_MS) / 1000))]++;
    }
    const share = 1 / perSecond.length;
    const bound = 6 * Math.sqrt(STREAMS * share * (1 - share));
    for (const clients of perSecond)
      expect(Math.abs(clients - STREAMS * share)).toBeLessThan(bound);
    await until(() => streams.every((stream) => stream.closed), 'the streams to close', 5000);
    expect(socketErrors).toEqual([]);

    // Real EventSources reconnect rather than give up.
    await until(() => readyStatesAtEnd.length === browsers.length, 'the EventSources to end');
    expect(readyStatesAtEnd).toEqual(browsers.map(({ source }) => source.CONNECTING));
    for (const browser of browsers) browser.close();

    // Socket.IO clients are told to reconnect: their transport closes, without "io server disconnect".
    expect(await Promise.all(sockets.map((socket) => socket.disconnected()))).toEqual([
      'transport close',
      'transport close',
      'transport close',
    ]);
    expect(await reconnecting.disconnected()).toBe('transport close');

    // While it drains: no new stream, Socket.IO handshake or upload, but reads go on.
    const refusedStream = await http().get('/sse').set('Authorization', `Bearer ${token}`);
    expect(refusedStream.status).toBe(503);
    expect(Number(refusedStream.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refusedStream.headers['retry-after'])).toBeLessThanOrEqual(
      Math.ceil((RETRY_MS + JITTER_MS) / 1000),
    );
    expect(refusedStream.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    const handshake = await http().get(engineHandshakePath('polling', { token }));
    expect(handshake.status).toBe(503);
    expect(Number(handshake.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(handshake.body).toMatchObject({ statusCode: 503 });
    const upgrade = await rawExchange(
      url,
      upgradeRequest(engineHandshakePath('websocket', { token })),
    );
    await until(() => upgrade.ended, 'the refused upgrade');
    expect(upgrade.received).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(upgrade.received).toMatch(/\r\nRetry-After: \d+\r\n/);
    const lateUpload = await streamUpload(url, `/libraries/${library.id}/upload`, {
      token,
      fileName: 'late.bin',
      file: [Buffer.from('late')],
      fileSize: 4,
    }).response;
    expect(lateUpload.status).toBe(503);
    expect(lateUpload.headers['retry-after']).toBeDefined();
    await http().get('/libraries').set('Authorization', `Bearer ${token}`).expect(200);
    const readiness = await http().get('/health/ready').expect(503);
    expect((readiness.body as { message: string }).message).toMatch(/shutting down/);
    await until(() => refusedReconnects.length > 0, 'a reconnection attempt', 3000);
    expect(refusedReconnects[0].description).toBe(503);
    reconnecting.socket.disconnect();

    // The upload that goes on finishes within the grace; the one that stalls is stopped at its end.
    finishing.open();
    const finished = await finishingUpload.response;
    expect(finished.status).toBe(201);
    const stopped: UploadResponse = await stalledUpload.response;
    expect(stopped.status).toBe(503);
    expect(stopped.headers['retry-after']).toBeDefined();
    expect(stopped.body).toMatchObject({
      message: 'The server stopped before the upload was complete; send it again',
    });
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(GRACE_MS - 100);

    const exit = await server.process.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const stored = readdirSync(join(suite.workDir, 'data', 'libraries', library.id));
    expect(stored).toEqual([`${(finished.body as { id: string }).id}.bin`]);

    // The next start has what happened during the drain, for the clients that resume.
    const lastSeen = Math.max(...watcher.ids);
    const restarted = await suite.build.boot(env, suite.workDir);
    const resumed = await openSse(restarted, lastSeen);
    await resumed.waitUntil(
      (client) =>
        uploadProgressIn(client.frames).filter((progress) => progress.status !== 'uploading')
          .length === 2,
    );
    expect(resumed.frames.some((frame) => frame.event === 'resync')).toBe(false);
    const outcomes = uploadProgressIn(resumed.frames).filter(
      (progress) => progress.status !== 'uploading',
    );
    expect(outcomes.map(({ name, status }) => ({ name, status }))).toEqual(
      expect.arrayContaining([
        { name: 'finishing.bin', status: 'completed' },
        { name: 'stalled.bin', status: 'failed' },
      ]),
    );
    resumed.close();
  }, 60_000);

  it('with WORKERS=2: each worker drains its streams and uploads while the primary refuses new connections, then the primary exits 0', async () => {
    const env = {
      PORT: String(await freePort()),
      ADMIN_PASSWORD: PASSWORD,
      WORKERS: '2',
      EVENT_BUS: 'redis',
      REDIS_PREFIX: uniquePrefix(),
      SSE_RETRY_MS: String(RETRY_MS),
      SSE_DRAIN_JITTER_MS: String(JITTER_MS),
      SHUTDOWN_GRACE_MS: '2000',
    };
    const server = await suite.build.boot(env, suite.workDir);
    const { url, token } = server;
    const library = (
      await request(url)
        .post('/libraries')
        .set('Authorization', `Bearer ${token}`)
        .send({ name: 'Drained', type: 'photos' })
        .expect(201)
    ).body as { id: string };
    // Connections go round the workers: these are on both.
    const streams = await Promise.all(Array.from({ length: 8 }, () => openSse(server)));
    const stalled = streamUpload(url, `/libraries/${library.id}/upload`, {
      token,
      fileName: 'stalled.bin',
      file: halves(gate().opened),
      fileSize: 2 * MIB,
    });
    await streams[0].waitUntil((client) =>
      uploadProgressIn(client.frames).some((progress) => progress.name === 'stalled.bin'),
    );

    server.process.child.kill('SIGTERM');
    await Promise.all(streams.map((stream) => stream.waitUntil((client) => client.ended)));
    for (const stream of streams) {
      const retries = stream.frames.filter((frame) => frame.retry !== undefined);
      expect(retries).toHaveLength(2);
      expect(Number(retries[1].retry)).toBeGreaterThanOrEqual(RETRY_MS);
      expect(Number(retries[1].retry)).toBeLessThanOrEqual(RETRY_MS + JITTER_MS);
    }
    const refused = await request(url).get('/sse').set('Authorization', `Bearer ${token}`);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });

    expect((await stalled.response).status).toBe(503);
    expect(await server.process.exited).toEqual({ code: 0, signal: null });
    expect(server.process.stdout).toMatch(
      /Stopping 1 uploads that did not finish within the grace/,
    );
  }, 60_000);
});

interface ConvertProgress {
  mediaId: string;
  status: string;
  progress: number;
  error?: string;
}

interface BackupFile {
  file: string;
}

interface BackupStatus {
  id: string;
  status: string;
  error: string | null;
}

/** The pids of running processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return [];
  }
}

describe("graceful drain through the application's close (as a host's shutdown runs it)", () => {
  const GRACE = 1000;
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'reelay-drain-work-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('stops the conversion and the backup run still going when the grace ends, and records both as failed with their events', async () => {
    const backupDir = join(scratch, 'backups');
    const root = join(scratch, 'root');
    mkdirSync(backupDir);
    mkdirSync(root);
    const overrides = {
      BACKUP_DIR: backupDir,
      BACKUP_MIN_FREE: '0',
      SHUTDOWN_GRACE_MS: String(GRACE),
    };
    const first = await createTestApp(overrides);
    const { dataDir } = first;
    try {
      const ffmpeg = await first.app.get(FfmpegAdapter).locate();
      if (ffmpeg === null) throw new Error('this test needs ffmpeg, and none was found');
      const clipPath = join(scratch, 'clip.mp4');
      const generated = spawnSync(ffmpeg, [
        '-hide_banner',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=duration=20:size=1280x720:rate=30',
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        clipPath,
      ]);
      if (generated.status !== 0) throw new Error(generated.stderr.toString());
      const library = await first.createLibrary({ name: 'Films', type: 'movies' });
      const clips = await Promise.all(
        ['running.mp4', 'waiting.mp4'].map(
          async (name) =>
            (
              await first
                .as(first.admin)
                .post(`/libraries/${library}/upload`)
                .attach('file', readFileSync(clipPath), name)
                .expect(201)
            ).body as { id: string },
        ),
      );
      // A file far larger than a run copies within the grace, without taking the disk's space.
      const rooted = await first.createLibrary({ name: 'Archive', type: 'movies', root });
      const bigFile = join(root, 'big.bin');
      writeFileSync(bigFile, '');
      truncateSync(bigFile, 4 * 1024 ** 3);
      await first.app
        .get(DatabaseService)
        .db.insertInto('medias')
        .values(
          mediaRow(rooted, { name: 'big.bin', path: bigFile, size: 4 * 1024 ** 3, origin: 'scan' }),
        )
        .execute();

      const stream = await openSse({ url: first.baseUrl, token: first.admin.token });
      const convert = (media: { id: string }) =>
        first
          .as(first.admin)
          .post(`/libraries/${library}/medias/${media.id}/convert`)
          .send({ container: 'mp4', preset: 'small' })
          .expect(202);
      await convert(clips[0]);
      await convert(clips[1]);
      const backup = (
        await first
          .as(first.admin)
          .post('/backups')
          .send({ name: 'Archive', library: rooted, path: 'archive' })
          .expect(201)
      ).body as { id: string };
      await first.as(first.admin).post(`/backups/${backup.id}/run`).expect(202);
      await stream.waitUntil(
        (client) =>
          messagesIn<ConvertProgress>(client.frames, 'convert_progress', 'ConvertProgress').some(
            (job) => job.mediaId === clips[0].id && job.status === 'processing' && job.progress > 0,
          ) &&
          messagesIn<BackupFile>(client.frames, 'backups-files', 'BackupsFiles').some((file) =>
            file.file.endsWith('/big.bin'),
          ),
        20_000,
      );
      expect(processesMentioning(dataDir)).toHaveLength(1);

      const closedAt = Date.now();
      const closed = first.close({ keepData: true });
      await stream.waitUntil((client) => client.ended);
      // While it drains, no new run or conversion starts.
      await first.as(first.admin).post(`/backups/${backup.id}/run`).expect(503);
      await first
        .as(first.admin)
        .post(`/libraries/${library}/medias/${clips[0].id}/convert`)
        .send({ container: 'mkv' })
        .expect(503);
      await closed;
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE - 50);
      expect(processesMentioning(dataDir)).toEqual([]);
      expect(
        readdirSync(join(dataDir, 'libraries', library)).filter((name) => name.endsWith('.part')),
      ).toEqual([]);
      expect(readdirSync(join(backupDir, 'archive'))).toEqual([]);

      const second = await createTestApp({ ...overrides, DATA_DIR: dataDir });
      try {
        const resumed = await openSse(
          { url: second.baseUrl, token: second.admin.token },
          Math.max(...stream.ids),
        );
        // What went out before the stream was sent away (the queued job fails first of all),
        // then what the resumed stream missed.
        const endOf = (mediaId: string) =>
          messagesIn<ConvertProgress>(
            [...stream.frames, ...resumed.frames],
            'convert_progress',
            'ConvertProgress',
          ).find(
            (job) => job.mediaId === mediaId && !['queued', 'processing'].includes(job.status),
          );
        await resumed.waitUntil(
          (client) =>
            endOf(clips[0].id) !== undefined &&
            messagesIn<{ backup: BackupStatus }>(client.frames, 'backups', 'Backups').some(
              ({ backup: run }) => run.status === 'error',
            ),
        );
        expect(endOf(clips[0].id)).toMatchObject({
          status: 'failed',
          error: 'the server stopped before the conversion finished',
        });
        expect(endOf(clips[1].id)).toMatchObject({
          status: 'failed',
          error: 'the server stopped before the conversion started',
        });
        expect(resumed.frames.some((frame) => frame.event === 'resync')).toBe(false);
        // Recorded by the stop itself, not found in progress by the next start.
        const stored = await second.as(second.admin).get(`/backups/${backup.id}`).expect(200);
        expect(stored.body).toMatchObject({
          status: 'error',
          error: 'the server stopped before the run finished',
          finished: expect.any(Number),
        });
        resumed.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
