import { ReelayRequestError, type ReelaySession } from '@reelay/client';
import { useReelayEvents } from '@reelay/client/react';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import type { FeedEntry, Task } from './activity';
import { ActivityFeed } from './activity-feed';
import { messageOf } from './errors';
import { scanTask } from './scan-task';
import { TaskList } from './task-list';
import type { LibraryView, ScanStatus } from './types';

interface LibraryPanelProps {
  session: ReelaySession;
  library: LibraryView;
  tasks: readonly Task[];
  feed: readonly FeedEntry[];
  seed: (task: Task) => void;
}

/** The selected library: what is in progress in it and what happened since sign-in. */
export function LibraryPanel({
  session,
  library,
  tasks,
  feed,
  seed,
}: LibraryPanelProps): ReactNode {
  const [scanError, setScanError] = useState<string>();
  const canScan = library.role === 'admin' && typeof library.root === 'string';
  const scanPath = `/libraries/${library.id}/scan`;

  // A scan that began before sign-in, or whose events were skipped, is read from the API.
  const readScan = useCallback(() => {
    if (library.role !== 'admin') return;
    session.request<ScanStatus>(scanPath).then(
      (scan) => seed(scanTask(scan)),
      // 404: not scanned since the server started, nothing to show.
      () => undefined,
    );
  }, [session, library.role, scanPath, seed]);
  useEffect(readScan, [readScan]);
  useReelayEvents(['resync', 'lagged'], readScan);

  const startScan = () => {
    setScanError(undefined);
    session.request<ScanStatus>(scanPath, { method: 'POST' }).then(
      (scan) => seed(scanTask(scan)),
      (error: unknown) =>
        setScanError(
          error instanceof ReelayRequestError && error.status === 409
            ? 'A scan of this library is already running.'
            : `The scan could not start: ${messageOf(error)}`,
        ),
    );
  };

  return (
    <section className="panel library-panel" aria-labelledby="library-title">
      <div className="panel-head">
        <h2 id="library-title">{library.name}</h2>
        <p className="library-facts">
          {library.type} library, your role: {library.role}
        </p>
        {canScan && (
          <button type="button" onClick={startScan}>
            Scan now
          </button>
        )}
      </div>
      {scanError !== undefined && (
        <p className="error" role="alert">
          {scanError}
        </p>
      )}
      <div className="panel-body">
        <TaskList
          title="Progress"
          empty="Nothing yet: scans, uploads, conversions and backups show here."
          tasks={tasks}
          idPrefix={`library-${library.id}`}
        />
        <ActivityFeed entries={feed} idPrefix={`library-${library.id}`} />
      </div>
    </section>
  );
}
