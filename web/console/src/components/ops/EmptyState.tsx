import type { ReactNode } from 'react';

/** Nothing to show: what that means, and what to do about it. */
export function EmptyState({ icon, title, children, testId }: { icon: string; title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="ops-empty" data-testid={testId}>
      <div className="ops-empty-icon" aria-hidden>
        {icon}
      </div>
      <h3>{title}</h3>
      {children && <div className="ops-empty-body">{children}</div>}
    </div>
  );
}
