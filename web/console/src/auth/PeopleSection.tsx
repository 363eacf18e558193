import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../trpc.js';
import { describeError } from './errors.js';
import { formatWhen } from './format.js';
import type { Role } from './useMe.js';
import './auth.css';

const ROLES: Array<{ role: Role; does: string }> = [
  { role: 'reader', does: 'sees everything' },
  { role: 'author', does: 'also creates projects and subtasks' },
  { role: 'reviewer', does: 'also approves and answers escalations' },
  { role: 'admin', does: 'also overrides and manages people' },
];

/** For admins: who may use Maestro, with which role. */
export function PeopleSection({ self }: { self: string | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSettled: () => void refresh() }));
  const disable = useMutation(trpc.users.disable.mutationOptions({ onSettled: () => void refresh() }));
  const enable = useMutation(trpc.users.enable.mutationOptions({ onSettled: () => void refresh() }));
  const [passwordFor, setPasswordFor] = useState<string>();
  const failure = setRole.error ?? disable.error ?? enable.error;

  return (
    <>
      <NewPersonForm onCreated={() => void refresh()} />
      {failure && (
        <p className="form-error" role="alert">
          {describeError(failure)}
        </p>
      )}
      {users.error ? (
        <p className="form-error" role="alert">
          People could not be loaded: {describeError(users.error)}
        </p>
      ) : (
        <table className="account-table" aria-label="People">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Status</th>
              <th>Last seen</th>
              <th>Tokens</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(users.data ?? []).map((user) => (
              <tr
                key={user.name}
                data-testid={`person-${user.name}`}
                className={user.disabledAt ? 'revoked' : undefined}
              >
                <td>
                  {user.name}
                  {user.name === self && <span className="muted"> (you)</span>}
                </td>
                <td>
                  <select
                    aria-label={`Role of ${user.name}`}
                    value={user.role}
                    disabled={setRole.isPending}
                    onChange={(event) => setRole.mutate({ name: user.name, role: event.target.value as Role })}
                  >
                    {ROLES.map(({ role }) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {user.disabledAt ? (
                    <span className="badge bad">disabled {formatWhen(user.disabledAt)}</span>
                  ) : (
                    <span className="badge ok">active</span>
                  )}
                </td>
                <td>{user.lastSeenAt ? formatWhen(user.lastSeenAt) : '—'}</td>
                <td>{user.activeTokens}</td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      onClick={() => setPasswordFor(passwordFor === user.name ? undefined : user.name)}
                    >
                      Set password
                    </button>
                    {user.disabledAt ? (
                      <button
                        type="button"
                        disabled={enable.isPending}
                        onClick={() => enable.mutate({ name: user.name })}
                      >
                        Enable
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="danger"
                        disabled={disable.isPending || user.name === self}
                        title={user.name === self ? 'You cannot disable yourself' : undefined}
                        onClick={() => disable.mutate({ name: user.name })}
                      >
                        Disable
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {passwordFor && <SetPasswordForm name={passwordFor} onDone={() => setPasswordFor(undefined)} />}
      <ul className="role-legend">
        {ROLES.map(({ role, does }) => (
          <li key={role}>
            <span className={`role-badge role-${role}`}>{role}</span> {does}
          </li>
        ))}
      </ul>
    </>
  );
}

function NewPersonForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('reader');
  const [password, setPassword] = useState('');
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: () => {
        setName('');
        setPassword('');
        onCreated();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), role, password });
  };
  return (
    <>
      <form className="account-form inline" onSubmit={submit} aria-label="Add a person">
        <label>
          Name
          <input placeholder="alice" required value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLES.map(({ role: option }) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </label>
        <label>
          First password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Adding…' : 'Add person'}
          </button>
        </div>
      </form>
      {create.error && (
        <p className="form-error" role="alert">
          {describeError(create.error)}
        </p>
      )}
      {create.data && (
        <p className="form-success" role="status">
          Added {create.data.name} as {create.data.role}. Give them their first password in person; they change it on
          this page.
        </p>
      )}
    </>
  );
}

function SetPasswordForm({ name, onDone }: { name: string; onDone: () => void }) {
  const trpc = useTRPC();
  const [password, setPassword] = useState('');
  const set = useMutation(trpc.users.setPassword.mutationOptions());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set.mutate({ name, password }, { onSuccess: () => setPassword('') });
  };
  return (
    <form className="account-form inline set-password" onSubmit={submit} aria-label={`Set the password of ${name}`}>
      <label>
        New password for {name}
        <input
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </label>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={set.isPending}>
          Set password
        </button>
        <button type="button" onClick={onDone}>
          Close
        </button>
      </div>
      {set.error && (
        <p className="form-error" role="alert">
          {describeError(set.error)}
        </p>
      )}
      {set.data && (
        <p className="form-success" role="status">
          The password of {set.data.name} is set; {set.data.sessionsEnded} sign-in
          {set.data.sessionsEnded === 1 ? '' : 's'} ended, {set.data.tokensRevoked} API token
          {set.data.tokensRevoked === 1 ? '' : 's'} revoked.
        </p>
      )}
    </form>
  );
}
