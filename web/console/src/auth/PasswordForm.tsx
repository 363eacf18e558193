import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../trpc.js';
import { describeError } from './errors.js';

const MIN_LENGTH = 12;

/** Changing your own password: the current one, then the new one twice. */
export function PasswordForm() {
  const trpc = useTRPC();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState<string>();
  const change = useMutation(
    trpc.users.changePassword.mutationOptions({
      onSuccess: () => {
        setCurrent('');
        setNext('');
        setRepeat('');
      },
    }),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.reset();
    if (next !== repeat) {
      setMismatch('The two new passwords differ: type the same one twice.');
      return;
    }
    setMismatch(undefined);
    change.mutate({ currentPassword: current, newPassword: next });
  };

  return (
    <form className="account-form" onSubmit={submit} aria-label="Change password">
      <label>
        Current password
        <input
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
        />
      </label>
      <label>
        New password
        <input
          type="password"
          autoComplete="new-password"
          required
          value={next}
          onChange={(event) => setNext(event.target.value)}
        />
        <span className="field-hint">At least {MIN_LENGTH} characters; a few unrelated words make a good one.</span>
      </label>
      <label>
        New password again
        <input
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(event) => setRepeat(event.target.value)}
        />
      </label>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={change.isPending}>
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
      </div>
      {(mismatch || change.error) && (
        <p className="form-error" role="alert">
          {mismatch ?? describeError(change.error)}
        </p>
      )}
      {change.data && (
        <p className="form-success" role="status">
          Password changed.
          {change.data.otherSessionsEnded > 0 &&
            ` ${change.data.otherSessionsEnded} other sign-in${change.data.otherSessionsEnded === 1 ? '' : 's'} ended.`}
        </p>
      )}
    </form>
  );
}
