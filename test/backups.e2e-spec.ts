import SqliteDatabase from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { BackupScheduler } from '../src/backups/backup-scheduler.js';
import { DatabaseService } from '../src/database/database.service.js';
import type { MediasTable } from '../src/database/schema.js';
import { expectOnlySentinel, openStream, waitForEvent } from './support/event-streams.js';
import { mediaRow } from './support/media-rows.js';
import type { ReceivedEvent, RecordingEventSource } from './support/sse-client.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

const BACKUP_EVENTS = ['backups', 'backups-files', 'tags'];

interface Backup {
  id: string;
  name: string;
  library: string | null;
  status: string;
  path: string;
  archive: string | null;
  files: number;
  filesDone: number;
  filesMissing: number;
  bytes: number;
  bytesDone: number;
  [field: string]: unknown;
}

/** Every entry of a tar archive, read whole (test archives are small). */
async function readArchive(path: string): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      entries.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(createReadStream(path), reader);
  return entries;
}

/** A media row for `path`, written with `content` first (null leaves the file missing). */
function withFile(libraryId: string, path: string, content: Buffer | null): MediasTable {
  if (content) writeFileSync(path, content);
  return mediaRow(libraryId, { path, name: path.split('/').pop(), size: content?.length ?? 0 });
}

const backupOf = (event: ReceivedEvent) =>
  (event.data as { Backups: { backup: Backup } }).Backups.backup;
const isBackupEvent = (id: string, status: string) => (event: ReceivedEvent) =>
  event.type === 'backups' && backupOf(event).id === id && backupOf(event).status === status;

describe('backups', () => {
  let t: TestApp;
  let database: DatabaseService;
  let scratch: string;
  let backupDir: string;
  let outside: string;
  let library: string;
  let otherLibrary: string;
  let libraryAdmin: TestUser;
  let libraryReader: TestUser;
  let outsider: TestUser;
  let libraryMedias: MediasTable[];
  let otherMedias: MediasTable[];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'reelay-backups-'));
    backupDir = join(scratch, 'backups');
    outside = join(scratch, 'outside');
    mkdirSync(backupDir);
    mkdirSync(outside);
    t = await createTestApp({ BACKUP_DIR: backupDir });
    database = t.app.get(DatabaseService);

    const libraryRoot = join(scratch, 'library');
    const otherRoot = join(scratch, 'other');
    mkdirSync(join(libraryRoot, 'season 1'), { recursive: true });
    mkdirSync(otherRoot);
    library = await t.createLibrary({ name: 'Home videos', type: 'movies', root: libraryRoot });
    otherLibrary = await t.createLibrary({ name: 'Other', type: 'movies', root: otherRoot });
    libraryMedias = [
      withFile(library, join(libraryRoot, 'holiday.mp4'), randomBytes(300_000)),
      withFile(library, join(libraryRoot, 'season 1', 'notes.txt'), Buffer.from('hello\n')),
      withFile(library, join(libraryRoot, 'empty.bin'), Buffer.alloc(0)),
      withFile(library, join(libraryRoot, 'gone.mp4'), null),
      mediaRow(library, { name: 'metadata only' }),
    ];
    otherMedias = [withFile(otherLibrary, join(otherRoot, 'other.mkv'), randomBytes(4096))];
    await database.db
      .insertInto('medias')
      .values([...libraryMedias, ...otherMedias])
      .execute();

    [libraryAdmin, libraryReader, outsider] = await Promise.all([
      t.createUser(),
      t.createUser(),
      t.createUser(),
    ]);
    await t.grant(library, libraryAdmin.id, 'admin');
    await t.grant(library, libraryReader.id, 'write');
  });
  afterAll(async () => {
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const storedBackup = (id: string) =>
    database.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
  const countBackups = async () =>
    (
      await database.db
        .selectFrom('backups')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow()
    ).count;

  /** A tag in the library: an event every user with a grant on it may receive. */
  const tagSentinel = async (stream: RecordingEventSource) => {
    const name = `sentinel-${randomUUID()}`;
    await t.as(t.admin).post(`/libraries/${library}/tags`).send({ name }).expect(201);
    await expectOnlySentinel(
      stream,
      (event) => event.type === 'tags' && JSON.stringify(event.data).includes(name),
    );
  };

  const expectArchiveHolds = async (backup: Backup, medias: readonly MediasTable[]) => {
    expect(backup.archive).toMatch(/\.tar$/);
    const entries = await readArchive(join(backupDir, backup.archive as string));
    const withFiles = medias.filter(
      (media) => media.path !== null && !media.path.endsWith('gone.mp4'),
    );
    for (const media of withFiles) {
      const entry = `libraries/${media.library_id}/${media.id}/${media.path?.split('/').pop()}`;
      expect(entries.get(entry)?.equals(readFileSync(media.path as string))).toBe(true);
    }
    expect([...entries.keys()].sort()).toEqual(
      [
        'reelay.db',
        'manifest.json',
        ...withFiles.map(
          (media) => `libraries/${media.library_id}/${media.id}/${media.path?.split('/').pop()}`,
        ),
      ].sort(),
    );
    const snapshotPath = join(scratch, `${backup.id}.db`);
    writeFileSync(snapshotPath, entries.get('reelay.db') as Buffer);
    const snapshot = new SqliteDatabase(snapshotPath, { readonly: true });
    try {
      const ids = snapshot.prepare('SELECT id FROM medias ORDER BY id').all() as { id: string }[];
      return { entries, snapshot: { ids: ids.map((row) => row.id), db: snapshot } };
    } catch (error) {
      snapshot.close();
      throw error;
    }
  };

  it('backs up a library: its database and every file, byte for byte, told to its admins', async () => {
    const adminStream = await openStream(t, libraryAdmin, BACKUP_EVENTS);
    const serverAdminStream = await openStream(t, t.admin, BACKUP_EVENTS);
    const readerStream = await openStream(t, libraryReader, BACKUP_EVENTS);

    const created = await t
      .as(libraryAdmin)
      .post('/backups')
      .send({ name: 'Home videos nightly', library, path: 'home/nightly', schedule: '30 3 * * *' })
      .expect(201);
    const backup = created.body as Backup;
    expect(backup).toMatchObject({
      name: 'Home videos nightly',
      library,
      status: 'idle',
      path: 'home/nightly',
      schedule: '30 3 * * *',
      archive: null,
    });
    expect(await storedBackup(backup.id)).toMatchObject({
      library_id: library,
      path: 'home/nightly',
      status: 'idle',
    });
    await waitForEvent(adminStream, isBackupEvent(backup.id, 'idle'));

    const started = await t.as(libraryAdmin).post(`/backups/${backup.id}/run`).expect(202);
    expect(started.body).toMatchObject({ id: backup.id, status: 'inProgress' });
    const doneEvent = await waitForEvent(adminStream, isBackupEvent(backup.id, 'done'));
    const done = backupOf(doneEvent);
    const sizes = [300_000, 6, 0];
    expect(done).toMatchObject({ files: 4, filesDone: 4, filesMissing: 1 });
    expect(done.bytes).toBe(done.bytesDone);
    expect(done.bytes).toBeGreaterThan(sizes.reduce((sum, size) => sum + size, 0));
    const statuses = adminStream.events
      .filter((event) => event.type === 'backups')
      .map((event) => backupOf(event).status);
    // Counts are published at most once a second while files go, so a slow run tells more.
    expect(statuses[0]).toBe('idle');
    expect(statuses.at(-1)).toBe('done');
    expect(statuses.slice(1, -1).length).toBeGreaterThanOrEqual(2);
    expect(new Set(statuses.slice(1, -1))).toEqual(new Set(['inProgress']));
    expect(adminStream.events.some((event) => event.type === 'backups-files')).toBe(false);

    // The server admin hears of it too, and alone gets each file's progress.
    await waitForEvent(serverAdminStream, isBackupEvent(backup.id, 'done'));
    const fileEvents = serverAdminStream.events
      .filter((event) => event.type === 'backups-files')
      .map(
        (event) =>
          (event.data as { BackupsFiles: { file: string; progress: number; library?: string } })
            .BackupsFiles,
      );
    const holiday = libraryMedias[0];
    const holidayEntry = `libraries/${library}/${holiday.id}/holiday.mp4`;
    const holidayProgress = fileEvents.filter((event) => event.file === holidayEntry);
    expect(holidayProgress[0]).toMatchObject({
      library,
      progress: 0,
      backup: backup.id,
      size: 300_000,
    });
    expect(holidayProgress.at(-1)).toMatchObject({ library, progress: 100, bytes: 300_000 });
    expect(new Set(fileEvents.map((event) => event.file)).size).toBe(4);

    const { entries, snapshot } = await expectArchiveHolds(done, libraryMedias);
    try {
      expect(snapshot.ids).toEqual(libraryMedias.map((media) => media.id).sort());
      expect(snapshot.db.prepare('SELECT id FROM libraries').all()).toEqual([{ id: library }]);
      expect(
        snapshot.db.prepare("SELECT count(*) AS n FROM users WHERE password_hash <> ''").get(),
      ).toEqual({ n: 0 });
      const live = await database.db
        .selectFrom('event_log')
        .select('id')
        .where('library', '=', otherLibrary)
        .execute();
      expect(live).not.toHaveLength(0);
      expect(
        snapshot.db
          .prepare('SELECT count(*) AS n FROM event_log WHERE library = ?')
          .get(otherLibrary),
      ).toEqual({ n: 0 });
    } finally {
      snapshot.db.close();
    }
    const manifest = JSON.parse((entries.get('manifest.json') as Buffer).toString()) as {
      files: { media: string; source: string }[];
      missing: { media: string }[];
    };
    expect(manifest.missing).toEqual([expect.objectContaining({ media: libraryMedias[3].id })]);
    expect(manifest.files.map((file) => file.media).sort()).toEqual(
      libraryMedias
        .slice(0, 3)
        .map((media) => media.id)
        .sort(),
    );

    const fetched = await t.as(libraryAdmin).get(`/backups/${backup.id}`).expect(200);
    expect(fetched.body).toEqual(done);
    expect(await storedBackup(backup.id)).toMatchObject({
      status: 'done',
      archive: done.archive,
      files_missing: 1,
    });
    expect(readdirSync(join(backupDir, 'home/nightly'))).toEqual([
      (done.archive as string).split('/').pop(),
    ]);

    await tagSentinel(readerStream);
    for (const stream of [adminStream, serverAdminStream, readerStream]) stream.close();
  });

  it('backs up the whole server for a server admin only, unseen by library admins', async () => {
    const adminStream = await openStream(t, libraryAdmin, BACKUP_EVENTS);
    const serverAdminStream = await openStream(t, t.admin, BACKUP_EVENTS);

    await t.as(libraryAdmin).post('/backups').send({ name: 'All', path: 'all' }).expect(403);
    const created = await t
      .as(t.admin)
      .post('/backups')
      .send({ name: 'All', path: 'all' })
      .expect(201);
    const backup = created.body as Backup;
    expect(backup.library).toBeNull();
    await t.as(t.admin).post(`/backups/${backup.id}/run`).expect(202);
    const done = backupOf(await waitForEvent(serverAdminStream, isBackupEvent(backup.id, 'done')));

    const { snapshot } = await expectArchiveHolds(done, [...libraryMedias, ...otherMedias]);
    try {
      const everyMedia = await database.db
        .selectFrom('medias')
        .select('id')
        .orderBy('id')
        .execute();
      expect(snapshot.ids).toEqual(everyMedia.map((row) => row.id));
    } finally {
      snapshot.db.close();
    }
    const otherFile = serverAdminStream.events.find(
      (event) =>
        event.type === 'backups-files' && JSON.stringify(event.data).includes(otherMedias[0].id),
    );
    expect(otherFile?.data).toMatchObject({ BackupsFiles: { library: otherLibrary } });

    await t.as(libraryAdmin).get(`/backups/${backup.id}`).expect(403);
    await t.as(libraryAdmin).post(`/backups/${backup.id}/run`).expect(403);
    const listed = await t.as(libraryAdmin).get('/backups').expect(200);
    expect((listed.body as Backup[]).map((item) => item.id)).not.toContain(backup.id);
    const all = await t.as(t.admin).get('/backups').expect(200);
    expect((all.body as Backup[]).map((item) => item.id)).toContain(backup.id);

    await tagSentinel(adminStream);
    serverAdminStream.close();
    adminStream.close();
  });

  it('refuses a path that leads out of the backup directory with 400, writing nothing', async () => {
    symlinkSync(outside, join(backupDir, 'escape-link'));
    symlinkSync(join(scratch, 'nowhere'), join(backupDir, 'broken-link'));
    writeFileSync(join(backupDir, 'a-file'), 'x');
    const before = await countBackups();
    const listingBefore = readdirSync(backupDir).sort();

    const paths = [
      '..',
      '../outside',
      'a/../../outside',
      outside,
      `${backupDir}-evil`,
      '/etc',
      'escape-link',
      'escape-link/deeper',
      'broken-link/x',
      'a-file/x',
    ];
    const responses = await Promise.all(
      paths.map((path) => t.as(t.admin).post('/backups').send({ name: 'Escape', path })),
    );
    for (const response of responses) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect(await countBackups()).toBe(before);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(backupDir).sort()).toEqual(listingBefore);

    // Inside, written absolute or relative, is fine.
    const inside = await t
      .as(t.admin)
      .post('/backups')
      .send({ name: 'Inside', path: join(backupDir, 'x', '..', 'inside') })
      .expect(201);
    expect(inside.body).toMatchObject({ path: 'inside' });
  });

  describe('a path the file system cannot take', () => {
    beforeAll(() => {
      symlinkSync(join(backupDir, 'loop-b'), join(backupDir, 'loop-a'));
      symlinkSync(join(backupDir, 'loop-a'), join(backupDir, 'loop-b'));
      writeFileSync(join(backupDir, 'a-plain-file'), 'x');
    });

    it.each([
      ['a name over 255 bytes', `${'é'.repeat(128)}/x`, 'at most 255 bytes'],
      ['a path over 4,096 bytes', Array(33).fill('n'.repeat(123)).join('/'), 'at most 4095 bytes'],
      ['a loop of links', 'loop-a/inner', 'loop of links'],
      ['an existing file', 'a-plain-file', 'names a file'],
    ])('refuses %s with 400, not a 500', async (_name, path, message) => {
      const before = await countBackups();
      const response = await t.as(t.admin).post('/backups').send({ name: 'Odd', path });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify(response.body.message)).toContain(message);
      expect(await countBackups()).toBe(before);
    });
  });

  it('fails a run whose folder was made a link out since, writing nothing there', async () => {
    const stream = await openStream(t, t.admin, ['backups']);
    const created = await t
      .as(t.admin)
      .post('/backups')
      .send({ name: 'Later', path: 'later' })
      .expect(201);
    const backup = created.body as Backup;
    symlinkSync(outside, join(backupDir, 'later'));
    await t.as(t.admin).post(`/backups/${backup.id}/run`).expect(202);
    const failed = backupOf(await waitForEvent(stream, isBackupEvent(backup.id, 'error')));
    expect(failed.error).toMatch(/inside the backup directory/);
    expect(readdirSync(outside)).toEqual([]);
    expect(await storedBackup(backup.id)).toMatchObject({ status: 'error', archive: null });
    stream.close();
  });

  it('checks rights, ids and input', async () => {
    const created = await t
      .as(libraryAdmin)
      .post('/backups')
      .send({ name: 'Rights', library, path: 'rights' })
      .expect(201);
    const id = (created.body as Backup).id;
    const before = await countBackups();

    const forbidden = await Promise.all([
      t.as(libraryReader).post('/backups').send({ name: 'x', library, path: 'x' }),
      t.as(libraryReader).get(`/backups/${id}`),
      t.as(libraryReader).post(`/backups/${id}/run`),
    ]);
    for (const response of forbidden) expect(response.status).toBe(403);
    const hidden = await Promise.all([
      t.as(outsider).post('/backups').send({ name: 'x', library, path: 'x' }),
      t.as(outsider).get(`/backups/${id}`),
      t.as(outsider).post(`/backups/${id}/run`),
      t.as(t.admin).get(`/backups/${randomUUID()}`),
      t.as(t.admin).post(`/backups/${randomUUID()}/run`),
      t.as(t.admin).post('/backups').send({ name: 'x', library: randomUUID(), path: 'x' }),
    ]);
    for (const response of hidden) expect(response.status).toBe(404);
    const bad = await Promise.all([
      t.as(t.admin).get('/backups/not-a-uuid'),
      ...[
        {},
        { name: 'x' },
        { name: '', path: 'x' },
        { name: 'x', path: '' },
        { name: 'x', path: 'a\u0000b' },
        { name: 'x', path: 'x', library: 'nope' },
        { name: 'x', path: 'x', library: null },
        { name: 'x', path: 'x', schedule: '61 * * * *' },
        { name: 'x', path: 'x', schedule: '@every 10s' },
        { name: 'x', path: 'x', schedule: 42 },
        { name: 'x', path: 'x', extra: true },
      ].map((body) => t.as(t.admin).post('/backups').send(body)),
    ]);
    for (const response of bad) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect(await countBackups()).toBe(before);

    const mine = await t.as(libraryAdmin).get('/backups').expect(200);
    expect((mine.body as Backup[]).every((backup) => backup.library === library)).toBe(true);
    expect((mine.body as Backup[]).map((backup) => backup.id)).toContain(id);
    expect((await t.as(libraryReader).get('/backups').expect(200)).body).toEqual([]);
  });

  it('runs backups whose schedule is due, and leaves the others', async () => {
    const stream = await openStream(t, t.admin, ['backups']);
    const make = async (name: string, schedule?: string) =>
      (
        await t
          .as(t.admin)
          .post('/backups')
          .send({ name, path: `scheduled/${name}`, ...(schedule ? { schedule } : {}) })
          .expect(201)
      ).body as Backup;
    const interval = await make('interval', '@every 1m');
    const cron = await make('cron', '* * * * *');
    const manual = await make('manual');

    await t.app.get(BackupScheduler).tick(new Date(Date.now() + 120_000));
    await waitForEvent(stream, isBackupEvent(interval.id, 'done'));
    await waitForEvent(stream, isBackupEvent(cron.id, 'done'));
    expect(
      stream.events.some(
        (event) => backupOf(event).id === manual.id && backupOf(event).status !== 'idle',
      ),
    ).toBe(false);
    expect(await storedBackup(manual.id)).toMatchObject({ status: 'idle', started: null });
    stream.close();
  });
});

describe('backups across a restart', () => {
  it('records a run the previous process left in progress as failed', async () => {
    const first = await createTestApp();
    const dataDir = first.dataDir;
    try {
      const created = await first
        .http()
        .post('/backups')
        .set('Authorization', `Bearer ${first.admin.token}`)
        .send({ name: 'Cut short', path: 'cut' })
        .expect(201);
      const id = (created.body as Backup).id;
      await first.app
        .get(DatabaseService)
        .db.updateTable('backups')
        .set({ status: 'inProgress', started: Date.now() })
        .where('id', '=', id)
        .execute();
      await first.close({ keepData: true });

      const second = await createTestApp({ DATA_DIR: dataDir });
      try {
        const fetched = await second
          .http()
          .get(`/backups/${id}`)
          .set('Authorization', `Bearer ${second.admin.token}`)
          .expect(200);
        expect(fetched.body).toMatchObject({
          status: 'error',
          error: expect.stringMatching(/interrupted/),
          finished: expect.any(Number),
        });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
