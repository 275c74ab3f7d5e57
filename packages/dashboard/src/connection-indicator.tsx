import type { ConnectionState } from '@reelay/client';
import { useReelayStatus } from '@reelay/client/react';
import type { ReactNode } from 'react';

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Closed',
};

/** The event stream's state, and whether events were skipped or the page reloaded its data. */
export function ConnectionIndicator(): ReactNode {
  const { state, error, skipped, resyncs } = useReelayStatus();
  return (
    <div className={`connection connection-${state}`} role="status">
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-state">{STATE_TEXT[state]}</span>
      {error !== undefined && state !== 'open' && <span className="connection-error">{error}</span>}
      {skipped > 0 && (
        <span className="connection-notice">
          {skipped} {skipped === 1 ? 'event' : 'events'} skipped (lagged)
        </span>
      )}
      {resyncs > 0 && (
        <span className="connection-notice">
          Reloaded after a gap (resync){resyncs > 1 ? `, ${resyncs} times` : ''}
        </span>
      )}
    </div>
  );
}
