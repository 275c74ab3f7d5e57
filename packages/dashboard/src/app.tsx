import type { ReelaySession } from '@reelay/client';
import { type ReactNode, useEffect, useState } from 'react';
import { Dashboard } from './dashboard';
import { LoginForm } from './login-form';

type Phase = 'resuming' | 'signed-out' | 'signed-in';

/** The login form, or the dashboard once the session is signed in. */
export function App({ session }: { session: ReelaySession }): ReactNode {
  const [phase, setPhase] = useState<Phase>(session.signedIn ? 'signed-in' : 'resuming');

  useEffect(() => {
    let mounted = true;
    const stop = session.onChange((signedIn) => setPhase(signedIn ? 'signed-in' : 'signed-out'));
    // A reload signs in again from the refresh cookie; any failure (none, expired, or a server
    // without POST /auth/refresh) means: show the login form.
    const resume = async () => {
      const resumed = await session.resume().catch(() => false);
      if (mounted && !session.signedIn) setPhase(resumed ? 'signed-in' : 'signed-out');
    };
    void resume();
    return () => {
      mounted = false;
      stop();
    };
  }, [session]);

  if (phase === 'resuming') {
    return (
      <main className="centered">
        <p role="status">Checking your session…</p>
      </main>
    );
  }
  if (phase === 'signed-out') return <LoginForm session={session} />;
  return <Dashboard session={session} />;
}
