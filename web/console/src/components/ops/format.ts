/** How the ops pages write times, money and rates, beyond what the console's format.ts already does. */
/** `12 s`, `4 min`, `3 h 05 min`, `2 d 4 h`. */
export function waited(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = now - Date.parse(iso);
  return ms < 2_000 ? 'just now' : `${waited(ms)} ago`;
}

/** `$0.0042` under a cent, else `$12.34`; `$1,234.50` with separators. */
export function usd(value: string | number): string {
  const amount = Number(value);
  if (amount === 0) return '$0.00';
  if (Math.abs(amount) < 0.01) return `$${amount.toFixed(4)}`;
  return amount.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
}

export function compact(value: number): string {
  return value.toLocaleString('en-US', {
    notation: value >= 10_000 ? 'compact' : 'standard',
    maximumFractionDigits: 1,
  });
}

/** `13:04:05`, with the date when it is not today. */
export function clock(iso: string): string {
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  const time = date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return sameDay ? time : `${date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${time}`;
}

export const PHASES = [
  'red',
  'green',
  'refactor',
  'integration_red',
  'integration_green',
  'verify',
  'complete',
] as const;

export function phaseName(phase: string | null | undefined): string {
  if (!phase) return 'not started';
  return phase.replaceAll('_', ' ');
}

/** Maestro's worker identities read `<pid>@<host>/maestro:<queues>`. */
export function workerName(identity: string): { process: string; queues: string } {
  const match = /^(\d+)@([^/]+)\/maestro:(.*)$/.exec(identity);
  return match
    ? { process: `process ${match[1]} on ${match[2]}`, queues: match[3]!.split('+').join(' · ') }
    : { process: identity, queues: '' };
}

/** `High risk`. */
export function riskLabel(risk: string): string {
  return `${risk.charAt(0).toUpperCase()}${risk.slice(1)} risk`;
}
