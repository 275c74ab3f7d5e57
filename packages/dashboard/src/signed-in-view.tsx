import type { ReelaySession } from '@reelay/client';
import { type ReactNode, useState } from 'react';
import { SERVER } from './activity';
import { AppHeader } from './app-header';
import { LibraryList } from './library-list';
import { LibraryPanel } from './library-panel';
import { ServerPanel } from './server-panel';
import { useActivity } from './use-activity';
import { useLibraries } from './use-libraries';
import { useMe } from './use-me';

export function SignedInView({ session }: { session: ReelaySession }): ReactNode {
  const me = useMe(session);
  const libraries = useLibraries(session);
  const { activity, seed } = useActivity();
  const [chosen, setChosen] = useState<string>();
  // A library that went away (deleted, access revoked) leaves the first one selected.
  const selected = libraries.list?.find((library) => library.id === chosen) ?? libraries.list?.[0];
  const tasks = [...activity.tasks.values()];

  return (
    <div className="page">
      <AppHeader session={session} me={me} />
      <main className="layout">
        <LibraryList
          libraries={libraries.list}
          error={libraries.error}
          selected={selected?.id}
          onSelect={setChosen}
        />
        {selected ? (
          <LibraryPanel
            key={selected.id}
            session={session}
            library={selected}
            tasks={tasks.filter((task) => task.library === selected.id)}
            feed={activity.feeds.get(selected.id) ?? []}
            seed={seed}
          />
        ) : (
          <p className="panel empty">
            {libraries.list ? 'No library is shared with you yet.' : 'Loading libraries…'}
          </p>
        )}
        {me?.role === 'admin' && (
          <ServerPanel
            tasks={tasks.filter((task) => task.library === SERVER)}
            feed={activity.feeds.get(SERVER) ?? []}
          />
        )}
      </main>
    </div>
  );
}
