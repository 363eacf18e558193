import { PasswordForm } from '../auth/PasswordForm.js';
import { PeopleSection } from '../auth/PeopleSection.js';
import { TokensSection } from '../auth/TokensSection.js';
import { describeError } from '../auth/errors.js';
import { roleOf, useMe } from '../auth/useMe.js';
import '../auth/auth.css';
import './AccountPage.css';

/** Your password and API tokens; for admins, the people who use Maestro and their roles. */
export function AccountPage() {
  const me = useMe();
  if (me.error) {
    return (
      <div className="notice error" role="alert">
        Your account could not be loaded: {describeError(me.error)}
      </div>
    );
  }
  if (!me.data) return <div className="notice">Loading your account…</div>;
  const user = me.data.user;
  const role = roleOf(me.data);
  const isAdmin = role === 'admin';

  return (
    <div className="account-page">
      <header className="account-header">
        <h1>Account</h1>
        {user ? (
          <p>
            Signed in as <strong>{user.name}</strong>{' '}
            <span className={`role-badge role-${user.role}`}>{user.role}</span>
          </p>
        ) : (
          <p>
            You are the <strong>local admin</strong>: on 127.0.0.1, requests without a sign-in act as an admin.{' '}
            <a href="/sign-in">Sign in</a> to act as yourself, with your own password and tokens.
          </p>
        )}
      </header>

      {user && (
        <section className="account-section" aria-labelledby="password-title">
          <h2 id="password-title">Password</h2>
          <PasswordForm />
        </section>
      )}

      <section className="account-section" aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <p className="section-help">
          For scripts and the <code>maestro</code> CLI: a token acts as{' '}
          {user ? 'you, with your role' : 'the user it belongs to'}. Revoke one and it stops working at once.
        </p>
        <TokensSection owner={user?.name} isAdmin={isAdmin} />
      </section>

      {isAdmin && (
        <section className="account-section" aria-labelledby="people-title">
          <h2 id="people-title">People</h2>
          <p className="section-help">
            Who may use Maestro and what they may do. Disabled people cannot sign in and their tokens stop working.
          </p>
          <PeopleSection self={user?.name} />
        </section>
      )}
    </div>
  );
}
