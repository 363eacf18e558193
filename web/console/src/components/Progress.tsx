import './Progress.css';

/** Checklist progress, `3/9`, with a bar. */
export function Progress({ done, total }: { done: number; total: number }) {
  const share = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div className="progress" title={`${done} of ${total} checklist items done`}>
      <div className="progress-track">
        <div className={`progress-fill${done === total ? ' full' : ''}`} style={{ width: `${share}%` }} />
      </div>
      <span className="progress-text" data-testid="progress">
        {done}/{total}
      </span>
    </div>
  );
}
