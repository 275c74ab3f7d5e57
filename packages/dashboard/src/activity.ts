import type {
  BackupFileProgress,
  BackupMessage,
  ConvertMessage,
  ElementAction,
  LibraryMessage,
  LibraryStatusMessage,
  MediasMessage,
  SseEvent,
  UploadProgressMessage,
} from '@reelay/client';

/** Where the events of no library go: server-wide backups. */
export const SERVER = '';

/** Each library's feed keeps this many entries, newest first. */
export const FEED_LIMIT = 100;
/** Finished tasks kept in view per library, beside the running ones. */
const FINISHED_TASK_LIMIT = 5;
/** Media names remembered to name conversions, which carry only an id. */
const MEDIA_NAME_LIMIT = 2000;

export type Tone = 'info' | 'done' | 'failed';

export interface FeedEntry {
  key: number;
  at: number;
  text: string;
  tone: Tone;
}

export type TaskKind = 'scan' | 'library' | 'upload' | 'conversion' | 'backup' | 'backup-file';
export type TaskState = 'running' | 'done' | 'failed';

/** Something that moves from 0 to 100 %, shown as a progress bar. */
export interface Task {
  key: string;
  kind: TaskKind;
  /** The library it belongs to, or SERVER. */
  library: string;
  label: string;
  detail: string;
  /** Whole percent; undefined while the total is unknown. */
  percent?: number;
  state: TaskState;
  /** The server's own word for the step (a conversion's `status`), to tell steps apart. */
  phase: string;
}

export interface Activity {
  feeds: ReadonlyMap<string, readonly FeedEntry[]>;
  /** In the order they started. */
  tasks: ReadonlyMap<string, Task>;
  mediaNames: ReadonlyMap<string, string>;
  nextKey: number;
}

export const EMPTY_ACTIVITY: Activity = {
  feeds: new Map(),
  tasks: new Map(),
  mediaNames: new Map(),
  nextKey: 1,
};

/** An event of the stream, as the reducer takes it, with the time it came. */
export interface ActivityEvent {
  name: 'event';
  data: SseEvent;
  at: number;
}

/** A task's state read from the server's REST API (a scan's), replacing what the events said. */
export interface SeedTask {
  name: 'seed';
  task: Task;
}

export function applyActivity(activity: Activity, input: ActivityEvent | SeedTask): Activity {
  const next = new ActivityChange(activity);
  if (input.name === 'seed') {
    const current = next.task(input.task.key);
    // An answer read before the latest events must not move a running bar back.
    const behind =
      current?.state === 'running' &&
      input.task.state === 'running' &&
      (current.percent ?? 0) > (input.task.percent ?? 0);
    if (!behind) next.setTask(input.task);
    return next.result();
  }
  const { data, at } = input;
  if ('Library' in data) libraryChanged(next, data.Library, at);
  else if ('LibraryStatus' in data) libraryStatus(next, data.LibraryStatus, at);
  else if ('Medias' in data) mediasChanged(next, data.Medias, at);
  else if ('UploadProgress' in data) uploadProgress(next, data.UploadProgress, at);
  else if ('ConvertProgress' in data) convertProgress(next, data.ConvertProgress, at);
  else if ('Backups' in data) backupChanged(next, data.Backups, at);
  else if ('BackupsFiles' in data) backupFile(next, data.BackupsFiles);
  else if ('Series' in data) {
    const { library, series } = data.Series;
    catalogChanged(
      next,
      library,
      at,
      SERIES,
      series.map(({ action, serie }) => ({ action, name: serie.name })),
    );
  } else if ('Episodes' in data) {
    const { library, episodes } = data.Episodes;
    catalogChanged(
      next,
      library,
      at,
      EPISODES,
      episodes.map(({ action, episode }) => ({ action, name: episode.name })),
    );
  } else if ('Movies' in data) {
    const { library, movies } = data.Movies;
    catalogChanged(
      next,
      library,
      at,
      MOVIES,
      movies.map(({ action, movie }) => ({ action, name: movie.name })),
    );
  } else if ('People' in data) {
    const { library, people } = data.People;
    catalogChanged(
      next,
      library,
      at,
      PEOPLE,
      people.map(({ action, person }) => ({ action, name: person.name })),
    );
  } else if ('Tags' in data) {
    const { library, tags } = data.Tags;
    catalogChanged(
      next,
      library,
      at,
      TAGS,
      tags.map(({ action, tag }) => ({ action, name: tag.name })),
    );
  }
  // media_progress and media_rating are the user's own position and rating: no activity.
  return next.result();
}

/** Copies what an event changes, once, and leaves the rest shared with the previous state. */
class ActivityChange {
  private feeds?: Map<string, readonly FeedEntry[]>;
  private tasks?: Map<string, Task>;
  private mediaNames?: Map<string, string>;
  private nextKey: number;

  constructor(private readonly base: Activity) {
    this.nextKey = base.nextKey;
  }

  task(key: string): Task | undefined {
    return (this.tasks ?? this.base.tasks).get(key);
  }

  mediaName(id: string): string | undefined {
    return (this.mediaNames ?? this.base.mediaNames).get(id);
  }

  addEntry(library: string, at: number, text: string, tone: Tone = 'info'): void {
    this.feeds ??= new Map(this.base.feeds);
    const entry = { key: this.nextKey++, at, text, tone };
    this.feeds.set(library, [entry, ...(this.feeds.get(library) ?? [])].slice(0, FEED_LIMIT));
  }

  /** A task that starts again (a second scan) moves to the end, among the newest. */
  setTask(task: Task): void {
    this.tasks ??= new Map(this.base.tasks);
    const before = this.tasks.get(task.key);
    if (before && before.state !== 'running' && task.state === 'running') {
      this.tasks.delete(task.key);
    }
    this.tasks.set(task.key, task);
    if (task.state !== 'running') this.forgetOldFinished(task.library);
  }

  removeTask(key: string): void {
    this.tasks ??= new Map(this.base.tasks);
    this.tasks.delete(key);
  }

  rememberMediaName(id: string, name: string): void {
    this.mediaNames ??= new Map(this.base.mediaNames);
    this.mediaNames.delete(id);
    this.mediaNames.set(id, name);
    if (this.mediaNames.size > MEDIA_NAME_LIMIT) {
      const oldest = this.mediaNames.keys().next();
      if (!oldest.done) this.mediaNames.delete(oldest.value);
    }
  }

  result(): Activity {
    return {
      feeds: this.feeds ?? this.base.feeds,
      tasks: this.tasks ?? this.base.tasks,
      mediaNames: this.mediaNames ?? this.base.mediaNames,
      nextKey: this.nextKey,
    };
  }

  private forgetOldFinished(library: string): void {
    const tasks = this.tasks as Map<string, Task>;
    const finished = [...tasks.values()].filter(
      (task) => task.library === library && task.state !== 'running',
    );
    for (const task of finished.slice(0, Math.max(0, finished.length - FINISHED_TASK_LIMIT))) {
      tasks.delete(task.key);
    }
  }
}

const PAST: Record<ElementAction, string> = {
  Added: 'Added',
  Updated: 'Updated',
  Deleted: 'Deleted',
};

interface Noun {
  one: string;
  many: string;
}

const MEDIA: Noun = { one: 'media', many: 'medias' };
const SERIES: Noun = { one: 'series', many: 'series' };
const EPISODES: Noun = { one: 'episode', many: 'episodes' };
const MOVIES: Noun = { one: 'movie', many: 'movies' };
const PEOPLE: Noun = { one: 'person', many: 'people' };
const TAGS: Noun = { one: 'tag', many: 'tags' };

/** Names listed in a line about many items before "and N more". */
const NAMES_SHOWN = 3;

/** "Added media holiday.jpg", "Deleted 500 medias: a, b, c and 497 more". */
export function describeItems(action: ElementAction, noun: Noun, names: readonly string[]): string {
  if (names.length === 1) return `${PAST[action]} ${noun.one} ${names[0]}`;
  const shown = names.slice(0, NAMES_SHOWN).join(', ');
  const more = names.length > NAMES_SHOWN ? ` and ${names.length - NAMES_SHOWN} more` : '';
  return `${PAST[action]} ${names.length} ${noun.many}: ${shown}${more}`;
}

function catalogChanged(
  next: ActivityChange,
  library: string,
  at: number,
  noun: Noun,
  items: readonly { action: ElementAction; name: string }[],
): void {
  for (const action of ['Added', 'Updated', 'Deleted'] as const) {
    const names = items.filter((item) => item.action === action).map((item) => item.name);
    if (names.length > 0) next.addEntry(library, at, describeItems(action, noun, names));
  }
}

function libraryChanged(next: ActivityChange, message: LibraryMessage, at: number): void {
  const { action, library } = message;
  next.addEntry(library.id, at, `Library ${library.name} ${PAST[action].toLowerCase()}`);
}

function libraryStatus(next: ActivityChange, message: LibraryStatusMessage, at: number): void {
  const { library, progress } = message;
  const failed = /failed/i.test(message.message);
  const finished = progress === undefined || progress >= 100;
  const tone: Tone = failed ? 'failed' : finished ? 'done' : 'info';
  // The steps between start and end move the bar; the feed tells the start and the end.
  if (progress === undefined || progress === 0 || progress >= 100) {
    next.addEntry(library, at, message.message, tone);
  }
  const isScan = message.message.startsWith('Scan');
  next.setTask({
    key: `status:${library}`,
    kind: isScan ? 'scan' : 'library',
    library,
    label: isScan ? 'Scan' : 'Library',
    detail: message.message,
    percent: progress,
    state: failed ? 'failed' : finished ? 'done' : 'running',
    phase: message.message,
  });
}

function mediasChanged(next: ActivityChange, message: MediasMessage, at: number): void {
  for (const { media } of message.medias) next.rememberMediaName(media.id, media.name);
  catalogChanged(
    next,
    message.library,
    at,
    MEDIA,
    message.medias.map(({ action, media }) => ({ action, name: media.name })),
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function uploadProgress(next: ActivityChange, message: UploadProgressMessage, at: number): void {
  const key = `upload:${message.mediaId}`;
  const before = next.task(key);
  const name = message.name ?? before?.label.replace(/^Upload of /, '') ?? 'a file';
  const status = message.status ?? (message.progress >= 100 ? 'completed' : 'uploading');
  const label = `Upload of ${name}`;
  if (status === 'completed') {
    next.rememberMediaName(message.mediaId, name);
    next.addEntry(message.library, at, `${label} finished`, 'done');
  } else if (status === 'failed') {
    next.addEntry(message.library, at, `${label} failed`, 'failed');
  } else if (!before) {
    next.addEntry(message.library, at, `${label} started`);
  }
  const received =
    message.receivedBytes === undefined ? '' : ` (${formatBytes(message.receivedBytes)})`;
  next.setTask({
    key,
    kind: 'upload',
    library: message.library,
    label,
    detail:
      status === 'completed'
        ? 'Finished'
        : status === 'failed'
          ? 'Failed: nothing was kept'
          : `${message.progress}%${received}`,
    percent: message.progress,
    state: status === 'completed' ? 'done' : status === 'failed' ? 'failed' : 'running',
    phase: status,
  });
}

const CONVERSION_STEPS: Record<string, { state: TaskState; entry: string }> = {
  queued: { state: 'running', entry: 'queued' },
  processing: { state: 'running', entry: 'started' },
  completed: { state: 'done', entry: 'finished' },
  failed: { state: 'failed', entry: 'failed' },
  canceled: { state: 'failed', entry: 'canceled' },
};

function convertProgress(next: ActivityChange, message: ConvertMessage, at: number): void {
  const key = `convert:${message.mediaId}`;
  const before = next.task(key);
  const name = next.mediaName(message.mediaId) ?? `media ${message.mediaId.slice(0, 8)}`;
  const label = `Conversion of ${name}`;
  const step = CONVERSION_STEPS[message.status] ?? { state: 'running', entry: message.status };
  if (before?.phase !== message.status) {
    const reason = message.error === undefined ? '' : `: ${message.error}`;
    next.addEntry(message.library, at, `${label} ${step.entry}${reason}`, toneOf(step.state));
  }
  next.setTask({
    key,
    kind: 'conversion',
    library: message.library,
    label,
    detail:
      message.status === 'processing'
        ? `${message.progress}%`
        : `${capitalised(message.status)}${message.error === undefined ? '' : `: ${message.error}`}`,
    percent: message.status === 'queued' ? 0 : message.progress,
    state: step.state,
    phase: message.status,
  });
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function toneOf(state: TaskState): Tone {
  return state === 'running' ? 'info' : state;
}

/** What a `backups` event carries beyond the API document's fields. */
interface BackupCounts {
  files?: number;
  filesDone?: number;
  bytes?: number;
  bytesDone?: number;
  error?: string | null;
  deleted?: boolean;
}

function backupPercent(counts: BackupCounts): number | undefined {
  const { bytes = 0, bytesDone = 0, files = 0, filesDone = 0 } = counts;
  if (bytes > 0) return Math.min(100, Math.floor((bytesDone * 100) / bytes));
  if (files > 0) return Math.min(100, Math.floor((filesDone * 100) / files));
  return undefined;
}

function backupChanged(next: ActivityChange, message: BackupMessage, at: number): void {
  const { backup } = message;
  const counts = backup as BackupCounts;
  const key = `backup:${backup.id}`;
  const library = backup.library ?? SERVER;
  const label = `Backup ${backup.name}`;
  const before = next.task(key);
  if (counts.deleted === true) {
    next.removeTask(key);
    next.removeTask(`backup-file:${backup.id}`);
    next.addEntry(library, at, `${label} deleted`);
    return;
  }
  // A backup at rest (defined, or changed) is no task: only its runs are.
  if (backup.status === 'idle') return;
  const state: TaskState =
    backup.status === 'done' ? 'done' : backup.status === 'error' ? 'failed' : 'running';
  if (before?.phase !== backup.status) {
    const entry =
      state === 'running'
        ? 'started'
        : state === 'done'
          ? 'finished'
          : `failed: ${counts.error ?? 'unknown error'}`;
    next.addEntry(library, at, `${label} ${entry}`, toneOf(state));
  }
  if (state !== 'running') next.removeTask(`backup-file:${backup.id}`);
  const percent = state === 'done' ? 100 : backupPercent(counts);
  next.setTask({
    key,
    kind: 'backup',
    library,
    label,
    detail:
      state === 'done'
        ? 'Finished'
        : state === 'failed'
          ? `Failed: ${counts.error ?? 'unknown error'}`
          : `${counts.filesDone ?? 0} of ${counts.files ?? '?'} files`,
    percent,
    state,
    phase: backup.status,
  });
}

function backupFile(next: ActivityChange, message: BackupFileProgress): void {
  const backupId = typeof message.backup === 'string' ? message.backup : '';
  const backup = next.task(`backup:${backupId}`);
  if (backup?.state !== 'running') return;
  next.setTask({
    key: `backup-file:${backupId}`,
    kind: 'backup-file',
    library: backup.library,
    label: `Current file of ${backup.label}`,
    detail: `${message.file}: ${message.progress}%`,
    percent: message.progress,
    state: 'running',
    phase: message.file,
  });
}
