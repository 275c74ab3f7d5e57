import type { ReactNode } from 'react';
import type { FeedEntry, Task } from './activity';
import { ActivityFeed } from './activity-feed';
import { TaskList } from './task-list';

/** Server-wide backups, for server admins. */
export function ServerPanel({
  tasks,
  feed,
}: {
  tasks: readonly Task[];
  feed: readonly FeedEntry[];
}): ReactNode {
  return (
    <section className="panel server-panel" aria-labelledby="server-title">
      <h2 id="server-title">Server</h2>
      <div className="panel-body">
        <TaskList
          title="Server backups"
          empty="No server backup has run since you signed in."
          tasks={tasks}
          idPrefix="server"
        />
        <ActivityFeed entries={feed} idPrefix="server" />
      </div>
    </section>
  );
}
