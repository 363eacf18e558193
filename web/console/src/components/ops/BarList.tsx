export interface BarRow {
  key: string;
  label: string;
  value: number;
  /** What the row says beside its bar. */
  text: string;
  sub?: string;
}

/** Horizontal bars, longest first as given, scaled to the largest. */
export function BarList({ rows, testId, empty }: { rows: BarRow[]; testId?: string; empty: string }) {
  const max = Math.max(0, ...rows.map((row) => row.value));
  if (rows.length === 0) return <p className="ops-muted">{empty}</p>;
  return (
    <ul className="barlist" data-testid={testId}>
      {rows.map((row) => (
        <li key={row.key}>
          <div className="barlist-label" title={row.label}>
            {row.label}
            {row.sub && <span className="ops-muted"> {row.sub}</span>}
          </div>
          <div className="barlist-bar">
            <div style={{ width: max > 0 && row.value > 0 ? `${Math.max(1, (row.value / max) * 100)}%` : '0' }} />
          </div>
          <div className="barlist-value">{row.text}</div>
        </li>
      ))}
    </ul>
  );
}
