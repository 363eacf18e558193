/** How the console writes times, money and names: one place, so every page reads the same. */

export const STATUS_LABELS: Record<string, string> = {
  pending: 'Pending',
  in_progress: 'In progress',
  testing: 'Testing',
  ready_for_review: 'Ready for review',
  blocked: 'Blocked',
  failed: 'Failed',
  retrying: 'Retrying',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

export const PHASE_LABELS: Record<string, string> = {
  setup: 'Setup',
  red: 'Red',
  green: 'Green',
  refactor: 'Refactor',
  integration_red: 'Integration red',
  integration_green: 'Integration green',
  verify: 'Verify',
  complete: 'Complete',
};

export function phaseLabel(phase: string): string {
  return PHASE_LABELS[phase] ?? phase.replaceAll('_', ' ');
}

/** `12 s`, `4 min`, `3 h`, `2 d`. */
export function shortDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/** A precise duration for timings: `840 ms`, `12.4 s`, `3 min 05 s`. */
export function preciseDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

export function ago(iso: string | Date, now: number = Date.now()): string {
  const ms = now - new Date(iso).getTime();
  return ms < 5_000 ? 'just now' : `${shortDuration(ms)} ago`;
}

/** Dollars as people read them: `$12.35`, `$0.0042` (the ledger's exact amounts, rounded once, here). */
export function usd(value: string | number): string {
  const amount = typeof value === 'string' && value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(amount)) return '—';
  const digits = Math.abs(amount) >= 1 ? 2 : 4;
  const [whole, fraction = ''] = Math.abs(amount).toFixed(digits).split('.');
  const shown = digits === 4 ? fraction.replace(/0{1,2}$/, '') : fraction;
  return `${amount < 0 ? '-' : ''}$${whole}.${shown.padEnd(2, '0')}`;
}

export function clock(iso: string | Date): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** A time of day for today, with the date before that. */
export function when(iso: string | Date): string {
  const date = new Date(iso);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return clock(date);
  return date.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
}

/** Money on a card: cents, or `<$0.01`. */
export function usdShort(value: string | number): string {
  const amount = Number(value);
  if (!Number.isFinite(amount) || amount === 0) return '$0';
  if (amount < 0.01) return '<$0.01';
  return amount >= 100 ? `$${Math.round(amount)}` : `$${amount.toFixed(2)}`;
}

/** A message ends with one full stop, whatever it came with. */
export function sentence(text: string): string {
  return `${text.replace(/[.\s]+$/, '')}.`;
}

export function dateTime(iso: string | Date): string {
  return new Date(iso).toLocaleString([], {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

/** Who serves each task queue, as the queue pages name them. */
export const QUEUE_PERSONAS: Record<string, string> = {
  workflows: 'Workflow engine',
  orchestrator: 'Orion · orchestrator',
  tester: 'Tara · tester',
  developer: 'Devon · developer',
  runner: 'Command runner',
  council: 'AI council',
  models: 'Model gateway',
};

export const ROLE_LABELS: Record<string, string> = {
  tester: 'Tara · tester',
  developer: 'Devon · developer',
  orchestrator: 'Orion · orchestrator',
  runner: 'Runner',
  reviewer: 'A reviewer',
  person: 'A person',
};

/** The short name on a card: the persona, or who must act. */
export const ROLE_SHORT: Record<string, string> = {
  tester: 'Tara',
  developer: 'Devon',
  orchestrator: 'Orion',
  runner: 'Runner',
  reviewer: 'Reviewer',
  person: 'Person',
};

/** What went wrong, for a person: the API's own words, or its validation issues one by one. */
export function errorMessage(error: unknown): string {
  const issues = (error as { data?: { issues?: Array<{ path: string; message: string }> } } | null)?.data?.issues;
  if (issues && issues.length > 0)
    return issues
      .map((issue) => `${issue.path ? `${issue.path.replace(/^override\./, '')}: ` : ''}${issue.message}`)
      .join('; ');
  return error instanceof Error ? error.message : String(error);
}
