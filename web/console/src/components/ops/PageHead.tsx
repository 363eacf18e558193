import type { ReactNode } from 'react';

export function PageHead({ title, subtitle, children }: { title: string; subtitle: ReactNode; children?: ReactNode }) {
  return (
    <div className="ops-head">
      <div>
        <h1>{title}</h1>
        <p>{subtitle}</p>
      </div>
      {children && <div className="ops-head-tools">{children}</div>}
    </div>
  );
}
