import { STATUS_LABELS, phaseLabel } from '../format.js';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status-badge status-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

export function RiskBadge({ risk }: { risk: string }) {
  return (
    <span className={`risk-badge risk-${risk}`} title={`${risk} risk`}>
      {risk}
    </span>
  );
}

export function PhaseBadge({ phase }: { phase: string | null }) {
  return <span className="phase-badge">{phase ? phaseLabel(phase) : 'not started'}</span>;
}
