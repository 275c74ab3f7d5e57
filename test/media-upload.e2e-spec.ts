import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseService } from '../src/database/database.service.js';
import { openStream } from './support/event-streams.js';
import { generatedBytes, streamUpload } from './support/multipart-upload.js';
import type { ReceivedEvent } from './support/sse-client.js';
import { waitForEvent } from './support/wait-for-event.js';
import {
  createLibraryCast,
  createTestApp,
  type TestApp,
  type TestUser,
} from './support/test-app.js';

interface UploadProgress {
  library: string;
  mediaId: string;
  progress: number;
  name: string;
  receivedBytes: number;
  totalBytes: number | null;
  status: string;
}

const progressOf = (event: ReceivedEvent) =>
  (event.data as { UploadProgress: UploadProgress }).UploadProgress;

const MIB = 1024 * 1024;

describe('uploads', () => {
  let t: TestApp;
  let database: DatabaseService;
  let library: string;
  let otherLibrary: string;
  let storage: string;
  let writer: TestUser;
  let reader: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    database = t.app.get(DatabaseService);
    ({ library, otherLibrary, writer, reader, outsider } = await createLibraryCast(t, {
      name: 'Uploads',
    }));
    storage = join(t.dataDir, 'libraries', library);
  });
  afterAll(() => t.close());

  const upload = (who: TestUser, lib = library) =>
    t.http().post(`/libraries/${lib}/upload`).set('Authorization', `Bearer ${who.token}`);
  const rowOf = (id: string) =>
    database.db.selectFrom('medias').selectAll().where('id', '=', id).executeTakeFirst();
  const countRows = async () =>
    (
      await database.db
        .selectFrom('medias')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('library_id', '=', library)
        .executeTakeFirstOrThrow()
    ).count;
  const storedFiles = () => {
    try {
      return readdirSync(storage);
    } catch {
      return [];
    }
  };

  it('stores the file under a generated name and tells the readers', async () => {
    const [readerStream, outsiderStream] = await Promise.all([
      openStream(t, reader, ['upload_progress', 'medias']),
      openStream(t, outsider, ['upload_progress', 'medias']),
    ]);
    const content = randomBytes(300 * 1024);
    const response = await upload(writer)
      .field('description', 'from the beach')
      .attach('file', content, '../../Beach day.MP4')
      .expect(201);
    const media = response.body as { id: string; name: string; size: number };
    expect(media).toMatchObject({
      library,
      name: 'Beach day.MP4',
      mimetype: 'video/mp4',
      size: content.length,
      origin: 'upload',
      description: 'from the beach',
      hasFile: true,
    });

    const row = await rowOf(media.id);
    expect(row?.path).toBe(join(storage, `${media.id}.mp4`));
    expect(readFileSync(row?.path as string).equals(content)).toBe(true);
    expect(storedFiles()).toEqual([`${media.id}.mp4`]);

    const added = await waitForEvent(readerStream, (event) => event.type === 'medias');
    const progress = readerStream.events.filter((event) => event.type === 'upload_progress');
    expect(readerStream.events.indexOf(added)).toBe(readerStream.events.length - 1);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progressOf(progress[0])).toMatchObject({
      library,
      mediaId: media.id,
      progress: 0,
      name: 'Beach day.MP4',
      status: 'uploading',
    });
    expect(progressOf(progress.at(-1) as ReceivedEvent)).toEqual({
      library,
      mediaId: media.id,
      progress: 100,
      name: 'Beach day.MP4',
      receivedBytes: content.length,
      totalBytes: content.length,
      status: 'completed',
    });
    expect(added.data).toEqual({ Medias: { library, medias: [{ action: 'Added', media }] } });

    const sentinelName = `sentinel-${randomUUID()}.txt`;
    await upload(t.admin, otherLibrary).attach('file', Buffer.from('x'), sentinelName).expect(201);
    await waitForEvent(outsiderStream, (event) => event.type === 'medias');
    expect(
      outsiderStream.events.every(
        (event) =>
          (event.data as Record<string, { library: string }>)[
            event.type === 'medias' ? 'Medias' : 'UploadProgress'
          ].library === otherLibrary,
      ),
    ).toBe(true);
    readerStream.close();
    outsiderStream.close();
    await t
      .http()
      .delete(`/libraries/${library}/medias/${media.id}`)
      .set('Authorization', `Bearer ${writer.token}`)
      .expect(204);
  });

  it('keeps hostile file names inside the storage folder', async () => {
    const cases = [
      ['/etc/passwd', 'passwd', ''],
      ['..\\..\\windows\\evil.exe', 'evil.exe', '.exe'],
      ['.hidden', '.hidden', ''],
      ['clip.m p4', 'clip.m p4', ''],
    ];
    const results = await Promise.all(
      cases.map(async ([clientName]) => {
        const response = await upload(writer).attach('file', Buffer.from('data'), clientName);
        expect(response.status).toBe(201);
        const media = response.body as { id: string; name: string };
        return { media, row: await rowOf(media.id) };
      }),
    );
    results.forEach(({ media, row }, index) => {
      const [, label, extension] = cases[index];
      expect(media.name).toBe(label);
      expect(dirname(row?.path as string)).toBe(storage);
      expect(row?.path).toBe(join(storage, `${media.id}${extension}`));
    });
  });

  it('refuses an upload into a library whose root is missing, and creates no folder', async () => {
    // Beside the data folder: a root may not lie inside it.
    const missingRoot = join(`${t.dataDir}-unmounted`, 'disk');
    const unmounted = await t.createLibrary({ name: 'Unmounted', root: missingRoot });
    const response = await upload(t.admin, unmounted)
      .attach('file', Buffer.from('x'), 'x.txt')
      .expect(409);
    expect(response.body).toMatchObject({
      message: 'The root folder of this library is missing',
    });
    expect(existsSync(`${t.dataDir}-unmounted`)).toBe(false);
  });

  it('needs the write role', async () => {
    await upload(reader).attach('file', Buffer.from('x'), 'x.txt').expect(403);
    await upload(outsider).attach('file', Buffer.from('x'), 'x.txt').expect(404);
    await upload(writer, randomUUID()).attach('file', Buffer.from('x'), 'x.txt').expect(404);
  });

  it.each([
    ['no file', (request: ReturnType<typeof upload>) => request.field('name', 'x')],
    [
      'an unknown field',
      (request: ReturnType<typeof upload>) =>
        request.field('path', '/etc').attach('file', Buffer.from('x'), 'x.txt'),
    ],
    [
      'the file in another field',
      (request: ReturnType<typeof upload>) => request.attach('upload', Buffer.from('x'), 'x.txt'),
    ],
    [
      'two files',
      (request: ReturnType<typeof upload>) =>
        request.attach('file', Buffer.from('x'), 'x.txt').attach('file', Buffer.from('y'), 'y.txt'),
    ],
    [
      'a wrong size',
      (request: ReturnType<typeof upload>) =>
        request.field('size', '10').attach('file', Buffer.from('x'), 'x.txt'),
    ],
  ])('refuses %s with 400 and keeps nothing', async (_case, build) => {
    const before = await countRows();
    const response = await build(upload(writer));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(await countRows()).toBe(before);
    expect(storedFiles().filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('streams 200 MB with steady memory and a bounded number of progress events', async () => {
    const readerStream = await openStream(t, reader, ['upload_progress', 'medias']);
    const fileSize = 200 * MIB;
    const chunkSize = 256 * 1024;
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const { response } = streamUpload(t.baseUrl, `/libraries/${library}/upload`, {
        token: writer.token,
        fields: { size: String(fileSize) },
        fileName: 'big.bin',
        file: generatedBytes(fileSize / chunkSize, chunkSize),
        fileSize,
      });
      const answer = await response;
      expect(answer.status).toBe(201);
      const media = answer.body as { id: string; size: number };
      expect(media.size).toBe(fileSize);
      expect(statSync(join(storage, `${media.id}.bin`)).size).toBe(fileSize);

      await waitForEvent(readerStream, (event) => event.type === 'medias');
      const progress = readerStream.events
        .filter((event) => event.type === 'upload_progress')
        .map(progressOf);
      expect(progress.every((event) => event.mediaId === media.id)).toBe(true);
      expect(progress.length).toBeGreaterThan(10);
      expect(progress.length).toBeLessThanOrEqual(102);
      const percents = progress.map((event) => event.progress);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(percents.at(-1)).toBe(100);
      expect(progress.every((event) => event.totalBytes === fileSize)).toBe(true);
    } finally {
      clearInterval(sampler);
      readerStream.close();
    }
    expect(peak - baseline).toBeLessThan(fileSize / 2);
  });

  it('keeps nothing of an upload the client abandons', async () => {
    const readerStream = await openStream(t, reader, ['upload_progress']);
    const before = await countRows();
    const filesBefore = storedFiles();
    const { response, sent } = streamUpload(t.baseUrl, `/libraries/${library}/upload`, {
      token: writer.token,
      fileName: 'abandoned.bin',
      file: generatedBytes(40, 256 * 1024, (index) => {
        if (index === 20) throw new Error('the client gives up');
      }),
      fileSize: 40 * 256 * 1024,
    });
    await expect(sent).rejects.toThrow('the client gives up');
    await expect(response).rejects.toThrow();
    const failed = progressOf(
      await waitForEvent(
        readerStream,
        (event) =>
          progressOf(event).status === 'failed' && progressOf(event).name === 'abandoned.bin',
      ),
    );
    expect(failed.receivedBytes).toBeGreaterThan(0);
    expect(storedFiles()).toEqual(filesBefore);
    expect(await rowOf(failed.mediaId)).toBeUndefined();
    expect(await countRows()).toBe(before);
    readerStream.close();
  });
});

describe('upload size limit', () => {
  let t: TestApp;
  let library: string;
  let storage: string;

  beforeAll(async () => {
    t = await createTestApp({ UPLOAD_MAX_BYTES: String(MIB) });
    library = await t.createLibrary({ name: 'Small' });
    storage = join(t.dataDir, 'libraries', library);
  });
  afterAll(() => t.close());

  const rows = () => t.app.get(DatabaseService).db.selectFrom('medias').select('id').execute();
  const files = () => {
    try {
      return readdirSync(storage);
    } catch {
      return [];
    }
  };

  it('accepts a file at the limit', async () => {
    const { response } = streamUpload(t.baseUrl, `/libraries/${library}/upload`, {
      token: t.admin.token,
      fileName: 'exact.bin',
      file: generatedBytes(4, MIB / 4),
    });
    expect((await response).status).toBe(201);
  });

  it('answers 413 at once when the declared length is past the limit', async () => {
    const before = (await rows()).length;
    const { response } = streamUpload(t.baseUrl, `/libraries/${library}/upload`, {
      token: t.admin.token,
      fileName: 'big.bin',
      file: generatedBytes(64, MIB / 4),
      fileSize: 16 * MIB,
    });
    const answer = await response;
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    expect((await rows()).length).toBe(before);
  });

  it('answers 413 mid-stream when a chunked body grows past the limit, keeping nothing', async () => {
    const before = (await rows()).length;
    const filesBefore = files();
    const stream = await openStream(t, t.admin, ['upload_progress']);
    const { response } = streamUpload(t.baseUrl, `/libraries/${library}/upload`, {
      token: t.admin.token,
      fileName: 'growing.bin',
      file: generatedBytes(64, MIB / 4),
    });
    const answer = await response;
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    await waitForEvent(
      stream,
      (event) => progressOf(event).status === 'failed' && progressOf(event).name === 'growing.bin',
    );
    expect(files()).toEqual(filesBefore);
    expect((await rows()).length).toBe(before);
    stream.close();
  });
});
