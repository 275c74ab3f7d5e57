import { ReelayRequestError, type ReelaySession } from '@reelay/client';
import { type FormEvent, type ReactNode, useState } from 'react';
import { messageOf } from './errors';

function loginFailure(error: unknown): string {
  if (error instanceof ReelayRequestError && error.status === 401) {
    return 'Wrong username or password.';
  }
  return messageOf(error);
}

export function LoginForm({ session }: { session: ReelaySession }): ReactNode {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    if (username.trim() === '' || password === '') {
      setError('Enter your username and your password.');
      return;
    }
    setBusy(true);
    setError(undefined);
    // On success the session tells the app, which replaces this form.
    session.login(username.trim(), password).catch((failure: unknown) => {
      setError(loginFailure(failure));
      setBusy(false);
    });
  };

  return (
    <main className="centered">
      <form className="login" onSubmit={submit} noValidate aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Reelay</h1>
        <label htmlFor="login-username">Username</label>
        <input
          id="login-username"
          name="username"
          autoComplete="username"
          autoFocus
          required
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {error !== undefined && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" aria-disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
