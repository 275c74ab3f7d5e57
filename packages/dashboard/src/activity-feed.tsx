import type { ReactNode } from 'react';
import type { FeedEntry } from './activity';

const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** What happened, newest first; new lines are read out politely. */
export function ActivityFeed({
  entries,
  idPrefix,
}: {
  entries: readonly FeedEntry[];
  idPrefix: string;
}): ReactNode {
  const titleId = `${idPrefix}-feed-title`;
  return (
    <section className="feed" aria-labelledby={titleId}>
      <h3 id={titleId}>Activity</h3>
      {entries.length === 0 && <p className="quiet">No activity since you signed in.</p>}
      <ol
        className="feed-list"
        aria-live="polite"
        aria-relevant="additions"
        aria-labelledby={titleId}
      >
        {entries.map((entry) => (
          <li key={entry.key} className={`entry entry-${entry.tone}`}>
            <time dateTime={new Date(entry.at).toISOString()}>{TIME.format(entry.at)}</time>
            <span className="entry-text">{entry.text}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
