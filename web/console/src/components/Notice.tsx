import type { ReactNode } from 'react';

type Tone = 'info' | 'error' | 'loading' | 'demo' | 'warning' | 'success';

/** A message in the page: loading, an error that says what went wrong, a hint. */
export function Notice({
  tone = 'info',
  title,
  children,
  testId,
}: {
  tone?: Tone;
  title?: ReactNode;
  children?: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`notice ${tone}`} role={tone === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {tone === 'loading' && <span className="spinner" aria-hidden />}
      <div>
        {title && <strong>{title} </strong>}
        {children}
      </div>
    </div>
  );
}

/** A place with nothing in it yet, and what to do about it. */
export function EmptyState({
  title,
  children,
  icon = '○',
  testId,
}: {
  title: string;
  children?: ReactNode;
  icon?: string;
  testId?: string;
}) {
  return (
    <div className="empty" data-testid={testId}>
      <div className="empty-icon" aria-hidden>
        {icon}
      </div>
      <h3>{title}</h3>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}
