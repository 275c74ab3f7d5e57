import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseService } from '../src/database/database.service.js';
import { FfmpegAdapter } from '../src/media/ffmpeg.adapter.js';
import { expectOnlySentinel, openStream } from './support/event-streams.js';
import type { ReceivedEvent, RecordingEventSource } from './support/sse-client.js';
import {
  createLibraryCast,
  createTestApp,
  type TestApp,
  type TestUser,
} from './support/test-app.js';
import { waitForEvent } from './support/wait-for-event.js';

interface ConvertMessage {
  library: string;
  mediaId: string;
  progress: number;
  status: string;
  jobId: string;
  outputMediaId?: string;
  error?: string;
}

const convertOf = (event: ReceivedEvent) =>
  (event.data as { ConvertProgress: ConvertMessage }).ConvertProgress;

const endedFor = (mediaId: string) => (event: ReceivedEvent) =>
  event.type === 'convert_progress' &&
  convertOf(event).mediaId === mediaId &&
  ['completed', 'failed', 'canceled'].includes(convertOf(event).status);

const hlsPlaylist = (segment: string) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${segment}\n#EXT-X-ENDLIST\n`;
const concatList = (segment: string) => `ffconcat version 1.0\nfile '${segment}'\n`;

describe('conversions', () => {
  let t: TestApp;
  let database: DatabaseService;
  let ffmpeg: string;
  let workDir: string;
  let library: string;
  let otherLibrary: string;
  let libraryAdmin: TestUser;
  let writer: TestUser;
  let reader: TestUser;
  let outsider: TestUser;
  /** A 5 s 720p clip: long enough to report progress a few times while it converts. */
  let clip: { id: string };
  /** A 20 s clip, converted slowly, to be canceled while ffmpeg works on it. */
  let longClip: { id: string };

  const generate = (name: string, seconds: number): string => {
    const path = join(workDir, name);
    const result = spawnSync(ffmpeg, [
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc=duration=${seconds}:size=1280x720:rate=30`,
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:duration=${seconds}`,
      '-shortest',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      path,
    ]);
    if (result.status !== 0)
      throw new Error(`ffmpeg could not make ${name}: ${result.stderr.toString()}`);
    return path;
  };

  const streams: RecordingEventSource[] = [];
  const watch = async (who: TestUser, names: string[]) => {
    const stream = await openStream(t, who, names);
    streams.push(stream);
    return stream;
  };
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });

  const convertUrl = (mediaId: string, lib = library) =>
    `/libraries/${lib}/medias/${mediaId}/convert`;
  /** Keeps the one conversion slot busy for a while. */
  const convertLongClipSlowly = () =>
    t
      .as(libraryAdmin)
      .post(convertUrl(longClip.id))
      .send({ container: 'mp4', preset: 'small' })
      .expect(202);
  const rowOf = (id: string) =>
    database.db.selectFrom('medias').selectAll().where('id', '=', id).executeTakeFirst();
  const storageOf = (lib: string) => join(t.dataDir, 'libraries', lib);
  const partials = () => readdirSync(storageOf(library)).filter((name) => name.endsWith('.part'));
  const upload = async (path: string, lib = library): Promise<{ id: string }> =>
    (
      await t
        .as(t.admin)
        .post(`/libraries/${lib}/upload`)
        .attach('file', readFileSync(path), 'clip.mp4')
        .expect(201)
    ).body as { id: string };

  beforeAll(async () => {
    t = await createTestApp();
    database = t.app.get(DatabaseService);
    const located = await t.app.get(FfmpegAdapter).locate();
    if (located === null) throw new Error('these tests need ffmpeg, and none was found');
    ffmpeg = located;
    workDir = mkdtempSync(join(tmpdir(), 'reelay-convert-'));
    ({ library, otherLibrary, libraryAdmin, writer, reader, outsider } = await createLibraryCast(
      t,
      { name: 'Films', type: 'movies' },
      { type: 'movies' },
    ));
    clip = await upload(generate('clip.mp4', 5));
    longClip = await upload(generate('long.mp4', 20));
  });
  afterAll(async () => {
    await t.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('converts a clip, reporting growing progress, into a playable new media', async () => {
    const [readerStream, outsiderStream] = await Promise.all([
      watch(reader, ['convert_progress', 'medias']),
      watch(outsider, ['convert_progress', 'medias']),
    ]);
    const response = await t
      .as(libraryAdmin)
      .post(convertUrl(clip.id))
      .send({ container: 'mkv', videoCodec: 'h264', audioCodec: 'opus' })
      .expect(202);
    expect(response.body).toMatchObject({
      library,
      mediaId: clip.id,
      status: 'queued',
      progress: 0,
      container: 'mkv',
      videoCodec: 'h264',
      audioCodec: 'opus',
      preset: 'fast',
    });
    await waitForEvent(readerStream, endedFor(clip.id), 60_000);

    const updates = readerStream.events
      .filter((event) => event.type === 'convert_progress')
      .map(convertOf);
    expect(
      updates.every((update) => update.mediaId === clip.id && update.library === library),
    ).toBe(true);
    expect(updates.map((update) => update.status)).toEqual([
      'queued',
      ...updates.slice(1, -1).map(() => 'processing'),
      'completed',
    ]);
    const percents = updates.map((update) => update.progress);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(percents).size).toBe(percents.length - 1);
    expect(percents.some((percent) => percent > 0 && percent < 100)).toBe(true);
    const done = updates.at(-1) as ConvertMessage;
    expect(done.progress).toBe(100);

    const added = readerStream.events.find((event) => event.type === 'medias') as ReceivedEvent;
    const output = (
      added.data as { Medias: { medias: { action: string; media: { id: string } }[] } }
    ).Medias.medias;
    expect(output).toHaveLength(1);
    expect(output[0]).toMatchObject({
      action: 'Added',
      media: {
        id: done.outputMediaId,
        library,
        name: 'clip.mkv',
        mimetype: 'video/x-matroska',
        origin: 'conversion',
        width: 1280,
        height: 720,
        hasFile: true,
      },
    });
    expect(readerStream.events.indexOf(added)).toBeLessThan(readerStream.events.length - 1);

    const row = await rowOf(done.outputMediaId as string);
    expect(row?.path).toBe(join(storageOf(library), `${done.outputMediaId}.mkv`));
    expect(row?.duration_ms).toBeGreaterThan(4500);
    const check = spawnSync(ffmpeg, ['-v', 'error', '-i', row?.path as string, '-f', 'null', '-']);
    expect(check.status).toBe(0);
    expect(check.stderr.toString()).toBe('');

    const status = await t.as(reader).get(convertUrl(clip.id)).expect(200);
    expect(status.body).toMatchObject({ status: 'completed', outputMediaId: done.outputMediaId });

    await t
      .as(t.admin)
      .post(`/libraries/${otherLibrary}/medias`)
      .send({ name: 'sentinel' })
      .expect(201);
    await expectOnlySentinel(outsiderStream, (event) => event.type === 'medias');
  });

  it('queues a second conversion and cancels both, the running one by killing ffmpeg', async () => {
    const stream = await watch(reader, ['convert_progress', 'medias']);
    await convertLongClipSlowly();
    const queued = await t.as(libraryAdmin).post(convertUrl(clip.id)).send({ container: 'webm' });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'queued' });
    await t.as(libraryAdmin).post(convertUrl(longClip.id)).send({ container: 'mkv' }).expect(409);

    await waitForEvent(
      stream,
      (event) =>
        convertOf(event).mediaId === longClip.id &&
        convertOf(event).status === 'processing' &&
        convertOf(event).progress > 0,
      30_000,
    );
    expect(partials()).toHaveLength(1);

    await t.as(libraryAdmin).delete(convertUrl(clip.id)).expect(204);
    await t.as(libraryAdmin).delete(convertUrl(longClip.id)).expect(204);
    expect(partials()).toEqual([]);
    await t.as(libraryAdmin).delete(convertUrl(longClip.id)).expect(404);

    // The events may come a flush window after the 204s.
    const ends = await Promise.all(
      [clip.id, longClip.id].map(async (id) => convertOf(await waitForEvent(stream, endedFor(id)))),
    );
    expect(ends.map((end) => [end.status, end.error])).toEqual([
      ['canceled', 'canceled by a user'],
      ['canceled', 'canceled by a user'],
    ]);
    // The queued one never started.
    expect(
      stream.events.some(
        (event) => convertOf(event).mediaId === clip.id && convertOf(event).status === 'processing',
      ),
    ).toBe(false);
    expect(stream.events.some((event) => event.type === 'medias')).toBe(false);
  });

  it('reports a conversion ffmpeg cannot do, and keeps nothing of it', async () => {
    // A Matroska signature, then nothing ffmpeg can read.
    const broken = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.from('junk')]);
    const junk = (
      await t
        .as(t.admin)
        .post(`/libraries/${library}/upload`)
        .attach('file', broken, 'junk.mkv')
        .expect(201)
    ).body as { id: string };
    const stream = await watch(reader, ['convert_progress', 'medias']);
    const before = await database.db.selectFrom('medias').select('id').execute();
    await t.as(libraryAdmin).post(convertUrl(junk.id)).send({ container: 'mp4' }).expect(202);
    const end = convertOf(await waitForEvent(stream, endedFor(junk.id), 30_000));
    expect(end.status).toBe('failed');
    expect(end.error).toMatch(/^ffmpeg exited with code \d+$/);
    expect(partials()).toEqual([]);
    expect(stream.events.some((event) => event.type === 'medias')).toBe(false);
    expect(await database.db.selectFrom('medias').select('id').execute()).toHaveLength(
      before.length,
    );
  });

  describe('an input that would have ffmpeg open another file', () => {
    /** The path of a media of the other library: what the attacker wants to read. */
    let secret: string;

    beforeAll(async () => {
      const { id } = await upload(join(workDir, 'clip.mp4'), otherLibrary);
      secret = (await rowOf(id))?.path as string;
    });

    it.each([
      ['an HLS playlist', 'x.m3u8', () => hlsPlaylist(secret)],
      ['an HLS playlist named as a video', 'x.mp4', () => hlsPlaylist(secret)],
      ['a concat list', 'x.mp4', () => concatList(secret)],
      ['a playlist of a URL', 'x.mp4', () => hlsPlaylist('http://127.0.0.1:9/segment.ts')],
      ['an image (the start of an image sequence)', 'x%03d.mp4', () => '\x89PNG\r\n\x1a\n'],
    ])('refuses %s (%s) with 400, and converts nothing', async (_what, name, contents) => {
      expect(existsSync(secret)).toBe(true);
      const hostile = (
        await t
          .as(libraryAdmin)
          .post(`/libraries/${library}/upload`)
          .attach('file', Buffer.from(contents(), 'latin1'), name)
          .expect(201)
      ).body as { id: string };
      const before = await database.db.selectFrom('medias').select('id').execute();
      const response = await t
        .as(libraryAdmin)
        .post(convertUrl(hostile.id))
        .send({ container: 'mkv', videoCodec: 'copy', audioCodec: 'none' })
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.message).toContain('not in a container conversions accept');
      await t.as(libraryAdmin).get(convertUrl(hostile.id)).expect(404);
      expect(await database.db.selectFrom('medias').select('id').execute()).toHaveLength(
        before.length,
      );
    });

    it('fails a waiting conversion whose file was replaced by a playlist, writing nothing', async () => {
      const victim = await upload(join(workDir, 'clip.mp4'));
      const path = (await rowOf(victim.id))?.path as string;
      const stream = await watch(reader, ['convert_progress', 'medias']);
      await convertLongClipSlowly();
      await t
        .as(libraryAdmin)
        .post(convertUrl(victim.id))
        .send({ container: 'mkv', videoCodec: 'copy', audioCodec: 'none' })
        .expect(202);
      writeFileSync(path, hlsPlaylist(secret));
      await t.as(libraryAdmin).delete(convertUrl(longClip.id)).expect(204);
      const end = convertOf(await waitForEvent(stream, endedFor(victim.id), 30_000));
      expect(end).toMatchObject({
        status: 'failed',
        error: 'the source is not in a container conversions accept',
      });
      expect(stream.events.some((event) => event.type === 'medias')).toBe(false);
      expect(partials()).toEqual([]);
    });
  });

  it('cancels the conversion of a library that is deleted', async () => {
    const doomed = await t.createLibrary({ name: 'Doomed' });
    const source = await upload(join(workDir, 'long.mp4'), doomed);
    const stream = await watch(t.admin, ['convert_progress']);
    await t
      .as(t.admin)
      .post(convertUrl(source.id, doomed))
      .send({ container: 'mkv', preset: 'small' })
      .expect(202);
    await waitForEvent(
      stream,
      (event) => convertOf(event).mediaId === source.id && convertOf(event).progress > 0,
      30_000,
    );
    await t.as(t.admin).delete(`/libraries/${doomed}`).expect(204);
    const end = convertOf(await waitForEvent(stream, endedFor(source.id), 10_000));
    expect(end).toMatchObject({ status: 'canceled', error: 'the library was deleted' });
    expect(existsSync(storageOf(doomed))).toBe(false);
  });

  it.each([
    [{ container: 'avi' }, 'container'],
    [{ container: 'webm', videoCodec: 'h264' }, 'does not fit in webm'],
    [{ container: 'mp4', videoCodec: 'libx264 -f null' }, 'videoCodec'],
    [{ container: 'mp4', maxHeight: 721 }, 'maxHeight'],
    [{ container: 'mkv', videoCodec: 'copy', maxHeight: 720 }, 'maxHeight'],
    [{ container: 'mp4', extra: '-y' }, 'extra'],
    [{ container: null }, 'container'],
  ])('refuses %p', async (body, message) => {
    const response = await t.as(libraryAdmin).post(convertUrl(clip.id)).send(body).expect(400);
    expect(JSON.stringify(response.body)).toContain(message);
  });

  it('needs the admin role, a known media and a file', async () => {
    await t.as(writer).post(convertUrl(clip.id)).send({ container: 'mp4' }).expect(403);
    await t.as(reader).delete(convertUrl(clip.id)).expect(403);
    await t.as(outsider).post(convertUrl(clip.id)).send({ container: 'mp4' }).expect(404);
    await t.as(outsider).get(convertUrl(clip.id)).expect(404);
    await t.as(t.admin).post(convertUrl(randomUUID())).send({ container: 'mp4' }).expect(404);
    const bare = (
      await t
        .as(t.admin)
        .post(`/libraries/${library}/medias`)
        .send({ name: 'bare.mp4' })
        .expect(201)
    ).body as { id: string };
    const response = await t
      .as(t.admin)
      .post(convertUrl(bare.id))
      .send({ container: 'mp4' })
      .expect(400);
    expect(response.body).toMatchObject({ message: `Media ${bare.id} has no file to convert` });
  });
});

describe('conversions without ffmpeg', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ FFMPEG_PATH: '/nonexistent/ffmpeg' });
  });
  afterAll(() => t.close());

  it('answers 503 with a clear message', async () => {
    const library = await t.createLibrary();
    const media = (
      await t
        .http()
        .post(`/libraries/${library}/upload`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .attach('file', Buffer.from('not really a video'), 'clip.mp4')
        .expect(201)
    ).body as { id: string };
    const response = await t
      .http()
      .post(`/libraries/${library}/medias/${media.id}/convert`)
      .set('Authorization', `Bearer ${t.admin.token}`)
      .send({ container: 'mp4' })
      .expect(503);
    expect(response.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message:
        'Conversions need ffmpeg, and this server has none: set FFMPEG_PATH or install ffmpeg',
    });
  });
});
