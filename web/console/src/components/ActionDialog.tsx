import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { AppRouter } from '../../../server/root.js';
import { errorMessage, phaseLabel } from '../format.js';
import { useTRPC } from '../trpc.js';
import './ActionDialog.css';

type Action = inferRouterOutputs<AppRouter>['subtask']['actions']['actions'][number];

/** The buttons for what the workflow accepts right now; each opens a dialog that asks why. */
export function ActionBar({
  project,
  subtaskKey,
  actions,
  note,
}: {
  project: string;
  subtaskKey: string;
  actions: Action[];
  note?: string;
}) {
  const [open, setOpen] = useState<Action | undefined>();
  // The dialog outlives the buttons: after an action the workflow may accept nothing more, and its result must still show.
  return (
    <>
      {actions.length === 0 ? (
        note && <p className="muted action-note">{note}</p>
      ) : (
        <div className="action-bar" data-testid="actions">
          {actions.map((action) => (
            <button
              key={action.action}
              type="button"
              className={`button ${action.tone === 'primary' ? (action.action === 'approve' ? 'success' : 'primary') : action.tone === 'danger' ? 'danger' : ''}`}
              title={action.detail}
              onClick={() => setOpen(action)}
              data-testid={`action-${action.action}`}
            >
              {action.label}
              {action.recommended && <span className="recommended">recommended</span>}
            </button>
          ))}
        </div>
      )}
      {open && (
        <ActionDialog project={project} subtaskKey={subtaskKey} action={open} onClose={() => setOpen(undefined)} />
      )}
    </>
  );
}

type Outcome = { ok: true; message: string } | { ok: false; message: string };

function ActionDialog({
  project,
  subtaskKey,
  action,
  onClose,
}: {
  project: string;
  subtaskKey: string;
  action: Action;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<string, string>>({
    returnTo: action.phases?.at(-1) ?? '',
    phase: action.phases?.at(-1) ?? '',
    role: 'developer',
  });
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const first = useRef<HTMLTextAreaElement & HTMLInputElement & HTMLSelectElement>(null);
  const approve = useMutation(trpc.subtask.approve.mutationOptions());
  const reject = useMutation(trpc.subtask.reject.mutationOptions());
  const override = useMutation(trpc.subtask.override.mutationOptions());
  const pending = approve.isPending || reject.isPending || override.isPending;

  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    first.current?.focus();
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && close.current();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const set = (field: string) => (event: { target: { value: string } }) =>
    setValues({ ...values, [field]: event.target.value });
  const missing = action.required.filter((field) => !(values[field] ?? '').trim());
  const shortReason =
    action.required.includes('reason') &&
    (values.reason ?? '').trim().length > 0 &&
    (values.reason ?? '').trim().length < 3;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (missing.length > 0 || shortReason) return;
    const ref = { project, key: subtaskKey };
    const reason = values.reason?.trim() || undefined;
    try {
      switch (action.action) {
        case 'approve':
          await approve.mutateAsync({ ...ref, comment: values.comment?.trim() || undefined });
          break;
        case 'reject':
          await reject.mutateAsync({ ...ref, comment: values.comment!.trim(), returnTo: values.returnTo as never });
          break;
        case 'retry':
        case 'retry_with_model':
          await override.mutateAsync({
            ...ref,
            override: {
              action: 'retry',
              reason,
              hint: values.hint?.trim() || undefined,
              model: values.model?.trim() || undefined,
            },
          });
          break;
        case 'reset':
          await override.mutateAsync({
            ...ref,
            override: { action: 'reset', reason: reason!, phase: values.phase as never },
          });
          break;
        case 'reassign':
          await override.mutateAsync({
            ...ref,
            override: {
              action: 'reassign',
              reason: reason!,
              role: values.role as 'tester' | 'developer',
              taskQueue: values.taskQueue!.trim(),
            },
          });
          break;
        case 'resume':
          await override.mutateAsync({ ...ref, override: { action: 'resume', reason } });
          break;
        default:
          await override.mutateAsync({ ...ref, override: { action: action.action, reason: reason! } });
      }
      setOutcome({ ok: true, message: accepted(action.action, values) });
    } catch (error) {
      setOutcome({ ok: false, message: errorMessage(error) });
    } finally {
      await queryClient.invalidateQueries();
    }
  }

  return (
    <div className="dialog-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="action-dialog-title"
        onSubmit={(event) => void submit(event)}
        data-testid="action-dialog"
      >
        <h2 id="action-dialog-title">{action.label}</h2>
        <p className="dialog-detail">{action.detail}</p>
        {action.role === 'admin' && <p className="dialog-role muted">Needs the admin role.</p>}
        {action.role === 'reviewer' && <p className="dialog-role muted">Needs the reviewer role.</p>}
        {!outcome?.ok && (
          <div className="dialog-fields">
            {action.fields.map((field, index) => (
              <label key={field} className="field">
                <span>
                  {FIELD_LABELS[field]}
                  {action.required.includes(field) ? '' : <span className="muted"> (optional)</span>}
                </span>
                {field === 'returnTo' || field === 'phase' ? (
                  <select
                    ref={index === 0 ? first : undefined}
                    className="select"
                    value={values[field]}
                    onChange={set(field)}
                    name={field}
                  >
                    {action.phases?.map((phase) => (
                      <option key={phase} value={phase}>
                        {phaseLabel(phase)}
                      </option>
                    ))}
                  </select>
                ) : field === 'role' ? (
                  <select
                    ref={index === 0 ? first : undefined}
                    className="select"
                    value={values.role}
                    onChange={set('role')}
                    name="role"
                  >
                    <option value="developer">developer</option>
                    <option value="tester">tester</option>
                  </select>
                ) : field === 'comment' || field === 'reason' || field === 'hint' ? (
                  <textarea
                    ref={index === 0 ? first : undefined}
                    className="input"
                    rows={3}
                    value={values[field] ?? ''}
                    onChange={set(field)}
                    name={field}
                    placeholder={PLACEHOLDERS[field]}
                  />
                ) : (
                  <input
                    ref={index === 0 ? first : undefined}
                    className="input"
                    value={values[field] ?? ''}
                    onChange={set(field)}
                    name={field}
                    placeholder={PLACEHOLDERS[field]}
                  />
                )}
              </label>
            ))}
            {shortReason && <p className="field-error">Give a reason of a few words: it goes to the audit log.</p>}
          </div>
        )}
        {outcome && (
          <div
            className={`notice ${outcome.ok ? 'success' : 'error'}`}
            role={outcome.ok ? 'status' : 'alert'}
            data-testid="action-result"
          >
            <div>
              {!outcome.ok && <strong>Not done: </strong>}
              {outcome.message}
            </div>
          </div>
        )}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            {outcome?.ok ? 'Close' : 'Cancel'}
          </button>
          {!outcome?.ok && (
            <button
              type="submit"
              className={`button ${action.tone === 'danger' ? 'danger' : action.action === 'approve' ? 'success' : 'primary'}`}
              disabled={pending || missing.length > 0 || shortReason}
              data-testid="action-confirm"
            >
              {pending ? 'Sending…' : action.label}
            </button>
          )}
        </div>
      </form>
    </div>
  );
}

const FIELD_LABELS: Record<string, string> = {
  reason: 'Reason',
  comment: 'Comment',
  returnTo: 'Send back to',
  phase: 'Reset to',
  role: 'Role',
  taskQueue: 'Task queue',
  hint: 'Hint for the agent',
  model: 'Model',
};

const PLACEHOLDERS: Record<string, string> = {
  reason: 'Why? It goes to the audit log.',
  comment: 'What the agent should know',
  hint: 'What to try differently',
  taskQueue: 'maestro-developer-gpu',
  model: 'a model id from the registry, like gpt-4.1',
};

/** What the workflow does now that it took the action, in words. */
function accepted(action: Action['action'], values: Record<string, string>): string {
  switch (action) {
    case 'approve':
      return 'Approved. The workflow goes on.';
    case 'reject':
      return `Sent back to ${phaseLabel(values.returnTo ?? '')}, with your comment for the agent.`;
    case 'retry':
      return values.hint?.trim() ? 'Retrying, with your hint.' : 'Retrying.';
    case 'retry_with_model':
      return `Retrying with ${values.model?.trim() ?? 'the model you chose'}.`;
    case 'skip':
      return 'Skipping the phase: the next one starts.';
    case 'force_complete':
      return 'Forced to complete: the merge comes next.';
    case 'reset':
      return `Going back to ${phaseLabel(values.phase ?? '')}.`;
    case 'reassign':
      return `Reassigned: the ${values.role}'s work goes to ${values.taskQueue?.trim()}.`;
    case 'pause':
      return 'Paused: the running step finishes, then the subtask holds.';
    case 'resume':
      return 'Resumed.';
    case 'cancel':
      return 'Cancelled: running commands stop; the branch stays for inspection.';
  }
}
