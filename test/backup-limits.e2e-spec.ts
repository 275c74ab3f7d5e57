import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseService } from '../src/database/database.service.js';
import { openStream, waitForEvent } from './support/event-streams.js';
import { mediaRow } from './support/media-rows.js';
import type { ReceivedEvent, RecordingEventSource } from './support/sse-client.js';
import {
  createLibraryCast,
  createTestApp,
  type LibraryCast,
  type TestApp,
  type TestUser,
} from './support/test-app.js';

interface Backup {
  id: string;
  name: string;
  status: string;
  path: string;
  schedule: string | null;
  keep: number | null;
  started: number | null;
  archive: string | null;
  error: string | null;
  deleted?: boolean;
}

interface Archive {
  path: string;
  size: number;
  started: number;
  finished: number;
}

const backupOf = (event: ReceivedEvent) =>
  (event.data as { Backups: { backup: Backup } }).Backups.backup;

/** A scratch folder with BACKUP_DIR and a library root holding one file. */
function makeScratch() {
  const scratch = mkdtempSync(join(tmpdir(), 'reelay-backup-limits-'));
  const backupDir = join(scratch, 'backups');
  const root = join(scratch, 'library');
  mkdirSync(backupDir);
  mkdirSync(root);
  const file = join(root, 'clip.mp4');
  writeFileSync(file, randomBytes(64 * 1024));
  return { scratch, backupDir, root, file };
}

/** Starts a run as `user` and resolves with the backup as its run ended (done or error). */
async function runToEnd(
  t: TestApp,
  user: TestUser,
  stream: RecordingEventSource,
  id: string,
): Promise<Backup> {
  const started = (await t.as(user).post(`/backups/${id}/run`).expect(202)).body as Backup;
  const ended = await waitForEvent(stream, (event) => {
    if (event.type !== 'backups') return false;
    const backup = backupOf(event);
    return (
      backup.id === id &&
      backup.started === started.started &&
      (backup.status === 'done' || backup.status === 'error')
    );
  });
  return backupOf(ended);
}

describe('backups that cannot fill the disk', () => {
  let t: TestApp;
  let cast: LibraryCast;
  let backupDir: string;
  let scratch: string;
  let adminStream: RecordingEventSource;

  beforeAll(async () => {
    const made = makeScratch();
    ({ scratch, backupDir } = made);
    t = await createTestApp({
      BACKUP_DIR: backupDir,
      BACKUP_KEEP: '3',
      BACKUP_MIN_INTERVAL: '1h',
    });
    cast = await createLibraryCast(t, { name: 'Clips', type: 'movies', root: made.root });
    await t.app
      .get(DatabaseService)
      .db.insertInto('medias')
      .values(mediaRow(cast.library, { path: made.file, name: 'clip.mp4', size: 64 * 1024 }))
      .execute();
    adminStream = await openStream(t, cast.libraryAdmin, ['backups']);
  });
  afterAll(async () => {
    adminStream.close();
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const create = async (body: Record<string, unknown>, user = cast.libraryAdmin) =>
    (
      await t
        .as(user)
        .post('/backups')
        .send({ library: cast.library, ...body })
        .expect(201)
    ).body as Backup;
  const archivesOf = async (id: string) =>
    (await t.as(cast.libraryAdmin).get(`/backups/${id}/archives`).expect(200)).body as Archive[];
  const onDisk = (archive: string) => existsSync(join(backupDir, archive));

  it('keeps the newest `keep` archives of a backup and deletes the older ones from disk', async () => {
    const backup = await create({ name: 'Kept', path: 'kept', keep: 2 });
    expect(backup.keep).toBe(2);
    const runs: Backup[] = [];
    for (let run = 0; run < 3; run++) {
      // oxlint-disable-next-line no-await-in-loop -- one run of a backup at a time
      runs.push(await runToEnd(t, cast.libraryAdmin, adminStream, backup.id));
    }
    const written = runs.map((run) => {
      expect(run).toMatchObject({ status: 'done', error: null });
      return run.archive as string;
    });
    expect(new Set(written).size).toBe(3);

    const kept = await archivesOf(backup.id);
    expect(kept.map((archive) => archive.path)).toEqual([written[2], written[1]]);
    expect(kept.every((archive) => archive.size > 64 * 1024)).toBe(true);
    expect(written.map(onDisk)).toEqual([false, true, true]);

    const lowered = await t
      .as(cast.libraryAdmin)
      .patch(`/backups/${backup.id}`)
      .send({ keep: 1 })
      .expect(200);
    expect(lowered.body).toMatchObject({ keep: 1 });
    expect((await archivesOf(backup.id)).map((archive) => archive.path)).toEqual([written[2]]);
    expect(written.map(onDisk)).toEqual([false, false, true]);
    expect(readdirSync(join(backupDir, 'kept'))).toEqual([written[2].split('/').pop()]);

    const byDefault = await t
      .as(cast.libraryAdmin)
      .patch(`/backups/${backup.id}`)
      .send({ keep: null })
      .expect(200);
    expect(byDefault.body).toMatchObject({ keep: null });
  });

  it('refuses a library admin more archives than BACKUP_KEEP and runs closer than BACKUP_MIN_INTERVAL', async () => {
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ keep: 4 }, /^keep: a library admin may keep at most 3 archives$/],
      [{ schedule: '* * * * *' }, /^schedule: runs 1m apart; .* at least 1h apart$/],
      [{ schedule: '*/5 * * * *' }, /^schedule: runs 5m apart; /],
      [{ schedule: '0,30 * * * *' }, /^schedule: runs 30m apart; /],
      [{ schedule: '@every 59m' }, /^schedule: runs 59m apart; /],
    ];
    for (const [body, message] of refusals) {
      // oxlint-disable-next-line no-await-in-loop -- each answer is checked on its own
      const response = await t
        .as(cast.libraryAdmin)
        .post('/backups')
        .send({ name: 'Greedy', library: cast.library, path: 'greedy', ...body })
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect((response.body as { message: string }).message).toMatch(message);
    }

    const hourly = await create({ name: 'Hourly', path: 'hourly', schedule: '@hourly', keep: 3 });
    expect(hourly).toMatchObject({ schedule: '@hourly', keep: 3 });
    const twiceAtNight = await create({ name: 'Night', path: 'night', schedule: '0 0,1 * * *' });
    expect(twiceAtNight.schedule).toBe('0 0,1 * * *');
    const tooOften = await t
      .as(cast.libraryAdmin)
      .patch(`/backups/${hourly.id}`)
      .send({ name: 'Renamed', schedule: '*/10 * * * *' })
      .expect(400);
    expect((tooOften.body as { message: string }).message).toMatch(/runs 10m apart/);
    expect(
      (await t.as(cast.libraryAdmin).get(`/backups/${hourly.id}`).expect(200)).body,
    ).toMatchObject({ name: 'Hourly', schedule: '@hourly', keep: 3 });

    const byServerAdmin = await t
      .as(t.admin)
      .patch(`/backups/${hourly.id}`)
      .send({ schedule: '*/10 * * * *', keep: 50 })
      .expect(200);
    expect(byServerAdmin.body).toMatchObject({ schedule: '*/10 * * * *', keep: 50 });
  });

  it('changes name, path and schedule with PATCH, told to the backup’s admins', async () => {
    const backup = await create({ name: 'Before', path: 'before', schedule: '@daily' });
    const changed = await t
      .as(cast.libraryAdmin)
      .patch(`/backups/${backup.id}`)
      .send({ name: 'After', path: 'after', schedule: null })
      .expect(200);
    expect(changed.body).toMatchObject({ name: 'After', path: 'after', schedule: null });
    const told = await waitForEvent(
      adminStream,
      (event) => event.type === 'backups' && backupOf(event).name === 'After',
    );
    expect(backupOf(told)).toMatchObject({ id: backup.id, path: 'after', schedule: null });

    const run = await runToEnd(t, cast.libraryAdmin, adminStream, backup.id);
    expect(run.archive).toMatch(/^after\/After-.*\.tar$/);
  });

  it('refuses bad changes with 400, and strangers with 403 or 404, changing nothing', async () => {
    const backup = await create({ name: 'Steady', path: 'steady' });
    const bad = await Promise.all(
      [
        { name: null },
        { name: '' },
        { path: null },
        { path: '../outside' },
        { path: '/etc' },
        { schedule: 'every day' },
        { schedule: 42 },
        { keep: 0 },
        { keep: 1.5 },
        { keep: '2' },
        { library: randomUUID() },
        { status: 'done' },
      ].map((body) => t.as(cast.libraryAdmin).patch(`/backups/${backup.id}`).send(body)),
    );
    for (const response of bad) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    const strangers = await Promise.all([
      t.as(cast.writer).patch(`/backups/${backup.id}`).send({ name: 'Mine' }),
      t.as(cast.outsider).patch(`/backups/${backup.id}`).send({ name: 'Mine' }),
      t.as(t.admin).patch(`/backups/${randomUUID()}`).send({ name: 'Mine' }),
      t.as(cast.writer).delete(`/backups/${backup.id}`),
      t.as(cast.outsider).delete(`/backups/${backup.id}`),
      t.as(cast.outsider).get(`/backups/${backup.id}/archives`),
      t.as(cast.libraryAdmin).delete(`/backups/${backup.id}?archives=all`),
    ]);
    expect(strangers.map((response) => response.status)).toEqual([
      403, 404, 404, 403, 404, 404, 400,
    ]);
    expect(
      (await t.as(cast.libraryAdmin).get(`/backups/${backup.id}`).expect(200)).body,
    ).toMatchObject({ name: 'Steady', path: 'steady', schedule: null, keep: null });
  });

  it('deletes a backup, keeping its archives unless asked, and tells its admins', async () => {
    const keptFiles = await create({ name: 'Keep files', path: 'keep-files' });
    const { archive } = await runToEnd(t, cast.libraryAdmin, adminStream, keptFiles.id);
    await t.as(cast.libraryAdmin).delete(`/backups/${keptFiles.id}`).expect(204);
    await t.as(cast.libraryAdmin).get(`/backups/${keptFiles.id}`).expect(404);
    expect(onDisk(archive as string)).toBe(true);
    const told = await waitForEvent(
      adminStream,
      (event) =>
        event.type === 'backups' &&
        backupOf(event).id === keptFiles.id &&
        !!backupOf(event).deleted,
    );
    expect(backupOf(told)).toMatchObject({ name: 'Keep files', deleted: true });

    const dropFiles = await create({ name: 'Drop files', path: 'drop-files' });
    await runToEnd(t, cast.libraryAdmin, adminStream, dropFiles.id);
    await runToEnd(t, cast.libraryAdmin, adminStream, dropFiles.id);
    expect(readdirSync(join(backupDir, 'drop-files'))).toHaveLength(2);
    // The third run may still be going when the deletion arrives: it is stopped and cleaned up.
    await t.as(cast.libraryAdmin).post(`/backups/${dropFiles.id}/run`).expect(202);
    await t.as(cast.libraryAdmin).delete(`/backups/${dropFiles.id}?archives=delete`).expect(204);
    expect(readdirSync(join(backupDir, 'drop-files'))).toEqual([]);
    const rows = await t.app
      .get(DatabaseService)
      .db.selectFrom('backup_archives')
      .selectAll()
      .where('backup_id', '=', dropFiles.id)
      .execute();
    expect(rows).toEqual([]);
  });
});

describe('the free-space guard', () => {
  it('fails a run that would eat into BACKUP_MIN_FREE cleanly, keeping the archives it had', async () => {
    const { scratch, backupDir } = makeScratch();
    const first = await createTestApp({ BACKUP_DIR: backupDir });
    const dataDir = first.dataDir;
    let second: TestApp | undefined;
    try {
      const stream = await openStream(first, first.admin, ['backups']);
      const backup = (
        await first
          .as(first.admin)
          .post('/backups')
          .send({ name: 'Guarded', path: 'guarded' })
          .expect(201)
      ).body as Backup;
      const kept = await runToEnd(first, first.admin, stream, backup.id);
      expect(kept.status).toBe('done');
      stream.close();
      await first.close({ keepData: true });

      second = await createTestApp({
        DATA_DIR: dataDir,
        BACKUP_DIR: backupDir,
        BACKUP_MIN_FREE: '8000T',
      });
      const guardedStream = await openStream(second, second.admin, ['backups']);
      const failed = await runToEnd(second, second.admin, guardedStream, backup.id);
      guardedStream.close();
      expect(failed.status).toBe('error');
      expect(failed.error).toMatch(
        /^not enough free space on the backup disk: the run needs .+ more and 7\.8 PiB must stay free, but .+ is free$/,
      );
      expect(failed.error).not.toContain(scratch);
      expect(readdirSync(join(backupDir, 'guarded'))).toEqual([
        (kept.archive as string).split('/').pop(),
      ]);
      const archives = (
        await second.as(second.admin).get(`/backups/${backup.id}/archives`).expect(200)
      ).body as Archive[];
      expect(archives.map((archive) => archive.path)).toEqual([kept.archive]);
    } finally {
      await second?.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
