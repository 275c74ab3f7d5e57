import type { ReelaySession } from '@reelay/client';
import type { ReactNode } from 'react';
import { ConnectionIndicator } from './connection-indicator';
import type { Me } from './types';

export function AppHeader({ session, me }: { session: ReelaySession; me?: Me }): ReactNode {
  // The session forgets its token even when the server cannot be told; the app then shows
  // the login form, so a failure here needs no message.
  const logout = () => void session.logout().catch(() => undefined);
  return (
    <header className="app-header">
      <h1>Reelay</h1>
      <ConnectionIndicator />
      <div className="user">
        {me && (
          <span>
            Signed in as <strong>{me.username}</strong>
            {me.role === 'admin' ? ' (server admin)' : ''}
          </span>
        )}
        <button type="button" onClick={logout}>
          Log out
        </button>
      </div>
    </header>
  );
}
