import type { EventName, SseEvent } from '@reelay/client';
import { useReelayEvents } from '@reelay/client/react';
import { useCallback, useReducer } from 'react';
import { type Activity, applyActivity, EMPTY_ACTIVITY, type Task } from './activity';

/** The events that make up the feeds and the progress bars. */
const ACTIVITY_EVENTS = [
  'library',
  'library-status',
  'medias',
  'upload_progress',
  'convert_progress',
  'backups',
  'backups-files',
  'series',
  'episodes',
  'movies',
  'people',
  'tags',
] as const satisfies readonly EventName[];

/**
 * Every library's feed and progress bars, from the events of the stream since sign-in; `seed`
 * puts in a task's state as read from the API, for work that began before.
 */
export function useActivity(): { activity: Activity; seed: (task: Task) => void } {
  const [activity, dispatch] = useReducer(applyActivity, EMPTY_ACTIVITY);
  useReelayEvents(ACTIVITY_EVENTS, (data: SseEvent) => {
    dispatch({ name: 'event', data, at: Date.now() });
  });
  const seed = useCallback((task: Task) => dispatch({ name: 'seed', task }), []);
  return { activity, seed };
}
