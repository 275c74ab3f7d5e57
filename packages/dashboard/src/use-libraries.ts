import type { ReelaySession } from '@reelay/client';
import { useReelayEvents } from '@reelay/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from './errors';
import type { LibraryView } from './types';

/**
 * How often the list is read again. The server sends nothing to a user whose grant is revoked
 * (their stream just stops carrying that library's events), nor when one is given: only reading
 * the list again shows either.
 */
export const LIBRARY_POLL_MS = 10_000;

export interface Libraries {
  /** Undefined until the first answer. */
  list?: readonly LibraryView[];
  error?: string;
  reload: () => void;
}

/**
 * The libraries the user may read: read at sign-in, again on every `library` event (added,
 * renamed, deleted: the event has no role, the list has), after `lagged` and `resync`, when the
 * page comes back into view, and every LIBRARY_POLL_MS while it is visible.
 */
export function useLibraries(session: ReelaySession): Libraries {
  const [list, setList] = useState<readonly LibraryView[]>();
  const [error, setError] = useState<string>();
  const latestRequest = useRef(0);

  const reload = useCallback(() => {
    const request = ++latestRequest.current;
    // An answer overtaken by a later request's is stale.
    const current = () => request === latestRequest.current;
    const read = async () => {
      try {
        const libraries = await session.request<LibraryView[]>('/libraries');
        if (!current()) return;
        setList(libraries);
        setError(undefined);
      } catch (failure) {
        if (current()) setError(messageOf(failure));
      }
    };
    void read();
  }, [session]);

  useReelayEvents(['library', 'lagged', 'resync'], reload);

  useEffect(() => {
    reload();
    const whenVisible = () => {
      if (document.visibilityState === 'visible') reload();
    };
    const timer = setInterval(whenVisible, LIBRARY_POLL_MS);
    document.addEventListener('visibilitychange', whenVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', whenVisible);
    };
  }, [reload]);

  return { list, error, reload };
}
