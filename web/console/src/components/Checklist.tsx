import { phaseLabel } from '../format.js';

export interface ChecklistEntry {
  id: string;
  label: string;
  kind: 'phase' | 'criterion';
  done: boolean;
  note?: string;
}

/** A phase of the definition the subtask does not run, and why. */
export interface LeftOutPhase {
  phase: string;
  reason: string;
}

/** The subtask's checklist: one item per phase it runs, the phases left out and why, then the acceptance criteria. */
export function Checklist({
  items,
  current,
  leftOut = [],
}: {
  items: ChecklistEntry[];
  current: string | null;
  leftOut?: LeftOutPhase[];
}) {
  const phases = items.filter((item) => item.kind === 'phase');
  const criteria = items.filter((item) => item.kind === 'criterion');
  return (
    <div className="checklist" data-testid="checklist">
      <ul>
        {phases.map((item) => {
          const phase = item.id.replace('phase:', '');
          return (
            <li
              key={item.id}
              className={`${item.done ? 'done' : ''}${phase === current && !item.done ? ' current' : ''}`}
              data-done={item.done}
            >
              <span className="check" aria-label={item.done ? 'done' : 'not done'}>
                {item.done ? '✓' : ''}
              </span>
              <div>
                <strong>{phaseLabel(phase)}</strong>
                <span className="muted"> — {item.label}</span>
                {item.note && <div className="note">{item.note}</div>}
              </div>
            </li>
          );
        })}
      </ul>
      {leftOut.length > 0 && (
        <p className="muted note" data-testid="phases-left-out">
          Not run: {leftOut.map((item) => phaseLabel(item.phase)).join(', ')} —{' '}
          {[...new Set(leftOut.map((item) => item.reason))].join('; ')}.
        </p>
      )}
      {criteria.length > 0 && (
        <>
          <h3>Acceptance criteria</h3>
          <ul>
            {criteria.map((item) => (
              <li key={item.id} className={item.done ? 'done' : ''} data-done={item.done}>
                <span className="check" aria-label={item.done ? 'met' : 'not met yet'}>
                  {item.done ? '✓' : ''}
                </span>
                <div>
                  {item.label}
                  {item.note && <div className="note">{item.note}</div>}
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
