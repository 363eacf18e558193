import { describeError } from './errors.js';
import { useMe, useSignOut } from './useMe.js';
import './auth.css';

/** The top bar's corner: who you are, your account, and signing out. */
export function UserMenu() {
  const me = useMe();
  const signOut = useSignOut();
  if (!me.data) return null;
  const { user, signInRequired } = me.data;

  if (!user) {
    return (
      <div className="user-menu" data-testid="user-menu">
        {signInRequired ? (
          <a className="user-menu-link" href="/sign-in">
            Sign in
          </a>
        ) : (
          <>
            <a
              className="user-menu-who"
              href="/account"
              title="Requests from this machine without a sign-in act as the local admin"
            >
              <span className="user-menu-name">local admin</span>
              <span className="user-menu-hint">no sign-in on 127.0.0.1</span>
            </a>
            <a className="user-menu-link" href="/sign-in">
              Sign in
            </a>
          </>
        )}
      </div>
    );
  }
  return (
    <div className="user-menu" data-testid="user-menu">
      <a className="user-menu-who" href="/account" title="Your account: password and API tokens">
        <span className="user-menu-name">{user.name}</span>
        <span className={`role-badge role-${user.role}`}>{user.role}</span>
      </a>
      <button type="button" className="user-menu-link" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        {signOut.isPending ? 'Signing out…' : 'Sign out'}
      </button>
      {signOut.error && (
        <span className="user-menu-error" role="alert">
          {describeError(signOut.error)}
        </span>
      )}
    </div>
  );
}
