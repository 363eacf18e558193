import { phaseLabel } from '../format.js';

export interface ChecklistEntry {
  id: string;
  label: string;
  kind: 'phase' | 'criterion';
  done: boolean;
  note?: string;
}

/** The subtask's checklist: one item per phase, then the acceptance criteria. */
export function Checklist({ items, current }: { items: ChecklistEntry[]; current: string | null }) {
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
