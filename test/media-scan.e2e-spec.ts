import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseService } from '../src/database/database.service.js';
import { binaryBody } from './support/binary-body.js';
import { expectOnlySentinel, openStream } from './support/event-streams.js';
import type { ReceivedEvent, RecordingEventSource } from './support/sse-client.js';
import {
  createLibraryCast,
  createTestApp,
  type TestApp,
  type TestUser,
} from './support/test-app.js';
import { waitForEvent } from './support/wait-for-event.js';

interface StatusMessage {
  library: string;
  message: string;
  progress?: number;
}
interface MediasMessage {
  library: string;
  medias: { action: string; media: { id: string; name: string; size: number } }[];
}

const statusOf = (event: ReceivedEvent) =>
  (event.data as { LibraryStatus: StatusMessage }).LibraryStatus;
const mediasOf = (event: ReceivedEvent) => (event.data as { Medias: MediasMessage }).Medias;
const isFinal = (event: ReceivedEvent) =>
  event.type === 'library-status' && /^Scan (complete|failed)/.test(statusOf(event).message);

const FOLDERS = 50;
const FILES_PER_FOLDER = 100;
const FILE_COUNT = FOLDERS * FILES_PER_FOLDER;

describe('library scans', () => {
  let t: TestApp;
  let database: DatabaseService;
  let workDir: string;
  let root: string;
  let library: string;
  let otherLibrary: string;
  let libraryAdmin: TestUser;
  let writer: TestUser;
  let reader: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'reelay-scan-'));
    root = join(workDir, 'root');
    for (let folder = 0; folder < FOLDERS; folder += 1) {
      mkdirSync(join(root, `season ${folder}`), { recursive: true });
      for (let file = 0; file < FILES_PER_FOLDER; file += 1) {
        writeFileSync(join(root, `season ${folder}`, `episode ${file}.mkv`), `${folder}-${file}`);
      }
    }
    writeFileSync(join(root, '.hidden.mkv'), 'hidden');
    const outside = join(workDir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.mkv'), 'secret');
    symlinkSync(join(outside, 'secret.mkv'), join(root, 'linked-secret.mkv'));
    symlinkSync(outside, join(root, 'linked-folder'));

    t = await createTestApp();
    database = t.app.get(DatabaseService);
    ({ library, otherLibrary, libraryAdmin, writer, reader, outsider } = await createLibraryCast(
      t,
      {
        name: 'Shows',
        type: 'shows',
        root,
      },
    ));
  });
  afterAll(async () => {
    await t.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const rows = () =>
    database.db.selectFrom('medias').selectAll().where('library_id', '=', library).execute();

  const scanAndWait = async (stream: RecordingEventSource) => {
    const from = stream.events.length;
    const response = await t.as(libraryAdmin).post(`/libraries/${library}/scan`).expect(202);
    await waitForEvent(
      stream,
      (event) => stream.events.indexOf(event) >= from && isFinal(event),
      30_000,
    );
    return { response, events: stream.events.slice(from) };
  };

  it('registers every file in bounded batches, follows no link out, and reports progress', async () => {
    const [adminStream, readerStream, outsiderStream] = await Promise.all([
      openStream(t, libraryAdmin, ['library-status', 'medias']),
      openStream(t, reader, ['library-status', 'medias']),
      openStream(t, outsider, ['library-status', 'medias']),
    ]);
    const { response, events } = await scanAndWait(adminStream);
    expect(response.body).toMatchObject({ library, status: 'running', added: 0 });

    const statuses = events.filter((event) => event.type === 'library-status').map(statusOf);
    expect(statuses[0]).toEqual({ library, message: 'Scan started', progress: 0 });
    expect(statuses.at(-1)).toEqual({
      library,
      message: `Scan complete: ${FILE_COUNT} added, 0 updated, 0 removed, 2 symbolic links not followed`,
      progress: 100,
    });
    const percents = statuses.map((status) => status.progress as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(statuses.length).toBeLessThanOrEqual(102);

    const batches = events.filter((event) => event.type === 'medias').map(mediasOf);
    expect(batches.length).toBe(FILE_COUNT / 500);
    expect(batches.every((batch) => batch.library === library && batch.medias.length <= 500)).toBe(
      true,
    );
    const added = batches.flatMap((batch) => batch.medias);
    expect(added.every((item) => item.action === 'Added')).toBe(true);
    expect(new Set(added.map((item) => item.media.name)).size).toBe(FILES_PER_FOLDER);

    const stored = await rows();
    expect(stored).toHaveLength(FILE_COUNT);
    expect(stored.every((row) => row.path?.startsWith(`${root}/season `))).toBe(true);
    expect(
      stored.every((row) => row.origin === 'scan' && row.mimetype === 'video/x-matroska'),
    ).toBe(true);
    expect(stored.find((row) => row.path?.endsWith('season 7/episode 42.mkv'))).toMatchObject({
      name: 'episode 42.mkv',
      size: '7-42'.length,
    });
    expect(stored.some((row) => /secret|hidden|linked/.test(row.path ?? ''))).toBe(false);

    const status = await t.as(libraryAdmin).get(`/libraries/${library}/scan`).expect(200);
    expect(status.body).toMatchObject({
      scanId: (response.body as { scanId: string }).scanId,
      status: 'completed',
      progress: 100,
      added: FILE_COUNT,
    });

    // The reader may see the medias but not the admins' status; the outsider sees nothing.
    await t
      .as(t.admin)
      .post(`/libraries/${library}/medias`)
      .send({ name: 'for readers' })
      .expect(201);
    await waitForEvent(
      readerStream,
      (event) => event.type === 'medias' && mediasOf(event).medias[0].media.name === 'for readers',
    );
    expect(readerStream.events.map((event) => event.type)).toEqual([
      ...batches.map(() => 'medias'),
      'medias',
    ]);
    await t
      .as(t.admin)
      .post(`/libraries/${otherLibrary}/medias`)
      .send({ name: 'sentinel' })
      .expect(201);
    await expectOnlySentinel(
      outsiderStream,
      (event) => event.type === 'medias' && mediasOf(event).library === otherLibrary,
    );
    await t
      .as(t.admin)
      .delete(`/libraries/${library}/medias`)
      .send({ ids: [readerStream.events.map(mediasOf).at(-1)?.medias[0].media.id] })
      .expect(204);
    for (const stream of [adminStream, readerStream, outsiderStream]) stream.close();
  });

  it('updates changed files and removes vanished ones on the next scan', async () => {
    const stream = await openStream(t, libraryAdmin, ['library-status', 'medias']);
    appendFileSync(join(root, 'season 1', 'episode 1.mkv'), ' and more');
    unlinkSync(join(root, 'season 2', 'episode 2.mkv'));
    writeFileSync(join(root, 'season 3', 'bonus.mp4'), 'bonus');
    const before = new Map((await rows()).map((row) => [row.path, row]));

    const { events } = await scanAndWait(stream);
    const changes = events
      .filter((event) => event.type === 'medias')
      .flatMap((event) => mediasOf(event).medias)
      .map((item) => `${item.action} ${item.media.name}`);
    expect(changes.sort((a, b) => a.localeCompare(b))).toEqual([
      'Added bonus.mp4',
      'Deleted episode 2.mkv',
      'Updated episode 1.mkv',
    ]);
    expect(statusOf(events.at(-1) as ReceivedEvent).message).toBe(
      'Scan complete: 1 added, 1 updated, 1 removed, 2 symbolic links not followed',
    );

    const after = new Map((await rows()).map((row) => [row.path, row]));
    expect(after.size).toBe(FILE_COUNT);
    const changed = after.get(join(root, 'season 1', 'episode 1.mkv'));
    expect(changed?.id).toBe(before.get(join(root, 'season 1', 'episode 1.mkv'))?.id);
    expect(changed?.size).toBe('1-1 and more'.length);
    expect(after.has(join(root, 'season 2', 'episode 2.mkv'))).toBe(false);
    expect(after.get(join(root, 'season 3', 'bonus.mp4'))?.mimetype).toBe('video/mp4');
    stream.close();
  });

  it('leaves an upload that landed in the root to its upload media', async () => {
    const stream = await openStream(t, libraryAdmin, ['library-status', 'medias']);
    const upload = await t
      .as(writer)
      .post(`/libraries/${library}/upload`)
      .attach('file', Buffer.from('uploaded'), 'uploaded.mkv')
      .expect(201);
    const uploaded = upload.body as { id: string };
    const { events } = await scanAndWait(stream);
    expect(statusOf(events.at(-1) as ReceivedEvent).message).toMatch(/^Scan complete: 0 added/);
    const row = (await rows()).find((candidate) => candidate.id === uploaded.id);
    expect(row).toMatchObject({ origin: 'upload', path: join(root, `${uploaded.id}.mkv`) });
    expect((await rows()).filter((candidate) => candidate.path === row?.path)).toHaveLength(1);
    stream.close();
  });

  it('runs one scan at a time per library', async () => {
    const stream = await openStream(t, libraryAdmin, ['library-status']);
    const answers = await Promise.all([
      t.as(libraryAdmin).post(`/libraries/${library}/scan`),
      t.as(libraryAdmin).post(`/libraries/${library}/scan`),
    ]);
    expect(answers.map((answer) => answer.status).sort((a, b) => a - b)).toEqual([202, 409]);
    await waitForEvent(stream, isFinal, 30_000);
    stream.close();
  });

  it('needs the admin role on the library', async () => {
    await t.as(writer).post(`/libraries/${library}/scan`).expect(403);
    await t.as(reader).post(`/libraries/${library}/scan`).expect(403);
    await t.as(outsider).post(`/libraries/${library}/scan`).expect(404);
    await t.as(reader).get(`/libraries/${library}/scan`).expect(403);
    await t.as(t.admin).post(`/libraries/${randomUUID()}/scan`).expect(404);
  });

  it('refuses a library without a root folder', async () => {
    const noRoot = await t.createLibrary({ name: 'No root' });
    const fileRoot = await t.createLibrary({
      name: 'File root',
      root: join(root, 'season 0', 'episode 0.mkv'),
    });
    const missingRoot = await t.createLibrary({
      name: 'Missing root',
      root: join(workDir, 'nowhere'),
    });
    const answers = await Promise.all(
      [noRoot, fileRoot, missingRoot].map((id) => t.as(t.admin).post(`/libraries/${id}/scan`)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    await t.as(t.admin).get(`/libraries/${noRoot}/scan`).expect(404);
  });
  it('serves no file whose path a link has replaced since the scan', async () => {
    const path = join(root, 'season 9', 'episode 9.mkv');
    const media = (await rows()).find((row) => row.path === path);
    const url = `/libraries/${library}/medias/${media?.id}/file`;
    const served = await t.as(reader).get(url).buffer(true).parse(binaryBody).expect(200);
    expect((served.body as Buffer).toString()).toBe('9-9');
    unlinkSync(path);
    symlinkSync(join(workDir, 'outside', 'secret.mkv'), path);
    const response = await t.as(reader).get(url).expect(404);
    expect(JSON.stringify(response.body)).not.toContain('secret');
  });
});
