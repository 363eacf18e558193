import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../trpc.js';
import { describeError } from './errors.js';
import { useMe } from './useMe.js';
import './auth.css';

/** Where to go after signing in: a page of this console only, never another site. */
function nextPath(): string {
  const next = new URLSearchParams(window.location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/';
}

export function SignInPage({ reason }: { reason?: string }) {
  const trpc = useTRPC();
  const me = useMe();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation(trpc.auth.signIn.mutationOptions({ onSuccess: () => window.location.assign(nextPath()) }));
  const signedOut = new URLSearchParams(window.location.search).has('signedOut');
  const localAdmin = me.data && !me.data.signInRequired && !me.data.user;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ name: name.trim(), password });
  };

  return (
    <div className="sign-in">
      <form className="sign-in-card" onSubmit={submit} aria-label="Sign in">
        <div className="sign-in-brand">
          <span className="logo" aria-hidden>
            ♪
          </span>
          <span>Maestro</span>
        </div>
        <h1>Sign in</h1>
        {signedOut && !signIn.error && (
          <p className="sign-in-note" role="status">
            You are signed out.
          </p>
        )}
        {reason && !signIn.error && !signedOut && (
          <p className="sign-in-note" role="status">
            {reason}
          </p>
        )}
        {signIn.error && (
          <p className="sign-in-error" role="alert">
            {describeError(signIn.error)}
          </p>
        )}
        <label>
          Name
          <input
            name="name"
            autoComplete="username"
            autoFocus
            required
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="sign-in-help">
          {localAdmin ? (
            <>
              On this machine you can also <a href="/">go on without signing in</a>, as the local admin.
            </>
          ) : (
            <>
              No account yet? An admin creates one on the Account page. The first admin&rsquo;s password is in{' '}
              <code>admin-password</code> in Maestro&rsquo;s data folder.
            </>
          )}
        </p>
      </form>
    </div>
  );
}
