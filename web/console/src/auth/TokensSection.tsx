import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../trpc.js';
import { describeError } from './errors.js';
import { formatWhen } from './format.js';

/**
 * API tokens for scripts and the CLI. People see and manage their own; an admin may create one for
 * someone else, and the local admin (who has no account) sees everyone's.
 */
export function TokensSection({ owner, isAdmin }: { owner: string | undefined; isAdmin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions({}));
  const people = useQuery({ ...trpc.users.list.queryOptions(), enabled: isAdmin });
  const [name, setName] = useState('');
  const [forUser, setForUser] = useState(owner ?? '');
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: () => {
        setName('');
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: () => void refresh() }));
  const [copied, setCopied] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCopied(false);
    create.mutate({ name: name.trim(), ...(forUser && forUser !== owner ? { user: forUser } : {}) });
  };

  const copy = async (token: string) => {
    await navigator.clipboard.writeText(token).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };

  const showOwner = isAdmin;
  return (
    <>
      <form className="account-form inline" onSubmit={submit} aria-label="Create an API token">
        <label>
          Token name
          <input
            placeholder="ci, backup-script…"
            required
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        {isAdmin && (
          <label>
            For
            <select value={forUser} onChange={(event) => setForUser(event.target.value)} required={!owner}>
              {!owner && <option value="">choose a user…</option>}
              {(people.data ?? [])
                .filter((person) => !person.disabledAt)
                .map((person) => (
                  <option key={person.name} value={person.name}>
                    {person.name === owner ? `${person.name} (you)` : person.name}
                  </option>
                ))}
              {owner && !people.data && <option value={owner}>{owner} (you)</option>}
            </select>
          </label>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
      {create.error && (
        <p className="form-error" role="alert">
          {describeError(create.error)}
        </p>
      )}
      {create.data && (
        <div className="new-token" role="status" data-testid="new-token">
          <p>
            <strong>Copy the token “{create.data.name}” now:</strong> it is shown only this once. Scripts send it as{' '}
            <code>Authorization: Bearer …</code>.
          </p>
          <div className="new-token-value">
            <code data-testid="new-token-value">{create.data.token}</code>
            <button type="button" onClick={() => void copy(create.data.token)}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </div>
      )}
      {revoke.error && (
        <p className="form-error" role="alert">
          {describeError(revoke.error)}
        </p>
      )}
      {tokens.error ? (
        <p className="form-error" role="alert">
          The tokens could not be loaded: {describeError(tokens.error)}
        </p>
      ) : tokens.data && tokens.data.length === 0 ? (
        <p className="tokens-empty">
          No API tokens yet. Create one for each script or machine, so each can be revoked on its own.
        </p>
      ) : (
        <table className="account-table" aria-label="API tokens">
          <thead>
            <tr>
              <th>Name</th>
              {showOwner && <th>User</th>}
              <th>Token</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(tokens.data ?? []).map((token) => (
              <tr
                key={token.id}
                className={token.revokedAt ? 'revoked' : undefined}
                data-testid={`token-${token.name}`}
              >
                <td>{token.name}</td>
                {showOwner && <td>{token.user}</td>}
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>{formatWhen(token.createdAt)}</td>
                <td>{token.lastUsedAt ? formatWhen(token.lastUsedAt) : 'never'}</td>
                <td>
                  <div className="row-actions">
                    {token.revokedAt ? (
                      <span className="badge bad">revoked {formatWhen(token.revokedAt)}</span>
                    ) : (
                      <button
                        type="button"
                        className="danger"
                        disabled={revoke.isPending}
                        onClick={() => revoke.mutate({ id: token.id })}
                      >
                        Revoke
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
