/** Plain-text output: aligned tables, durations, money. No colours: the output is often piped. */

export type Cell = string | number | null | undefined;

export interface Column {
  header: string;
  /** Right-aligned (numbers). */
  right?: boolean;
  /** Cut longer cells with an ellipsis. */
  max?: number;
}

function cut(text: string, max: number | undefined): string {
  if (!max || text.length <= max) return text;
  return `${text.slice(0, Math.max(1, max - 1))}…`;
}

export function table(columns: Column[], rows: Cell[][]): string {
  const cells = rows.map((row) =>
    columns.map((column, index) => cut(String(row[index] ?? '—').replace(/\s+/g, ' '), column.max)),
  );
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((row) => row[index]!.length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, index) => (columns[index]!.right ? value.padStart(widths[index]!) : value.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((column) => column.header)),
    line(widths.map((width) => '─'.repeat(width))),
    ...cells.map(line),
  ].join('\n');
}

/** Label–value lines, labels aligned. */
export function fields(pairs: Array<[string, Cell]>): string {
  const shown = pairs.filter(([, value]) => value !== undefined && value !== null && value !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${String(value)}`).join('\n');
}

/** `840 ms`, `12.4 s`, `3 min 05 s`, `2 h 10 min`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000)
    return `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1_000)).padStart(2, '0')} s`;
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 48) return `${hours} h ${String(Math.round((ms % 3_600_000) / 60_000)).padStart(2, '0')} min`;
  return `${Math.round(hours / 24)} d`;
}

/** `$0.0123` for small amounts, `$12.34` otherwise; the exact value stays in --json. */
export function usd(exact: string | number): string {
  const value = Number(exact);
  if (value === 0) return '$0.00';
  if (Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
}

/** `2026-01-31 12:04:05` in local time. */
export function timestamp(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1_000));
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 48 * 3_600) return `${Math.floor(seconds / 3_600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}
