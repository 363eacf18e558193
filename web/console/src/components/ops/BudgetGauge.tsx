import { usd } from './format.js';

export interface BudgetGaugeProps {
  label: string;
  spentUsd: string;
  limits: { softUsd: number; hardUsd: number; emergencyUsd: number };
  tier: 'ok' | 'soft' | 'hard' | 'emergency';
  testId?: string;
}

const TIER_TEXT = {
  ok: 'Within budget',
  soft: 'Soft limit reached: cheaper models',
  hard: 'Hard limit reached: no new agent work',
  emergency: 'Emergency limit reached: calls stopped',
} as const;

/** Spend against the three tiers: the track is zoned soft / hard / emergency, the fill is what was spent. */
export function BudgetGauge({ label, spentUsd, limits, tier, testId }: BudgetGaugeProps) {
  const spent = Number(spentUsd);
  const scale = Math.max(limits.emergencyUsd * 1.08, spent * 1.02, 0.01);
  const at = (value: number) => `${Math.min(100, (value / scale) * 100)}%`;
  const fill = spent > 0 ? `max(3px, ${at(spent)})` : '0';
  return (
    <div className={`gauge tier-${tier}`} data-testid={testId}>
      <div className="gauge-top">
        <span className="gauge-label">{label}</span>
        <span className="gauge-spent">{usd(spentUsd)}</span>
      </div>
      <div
        className="gauge-track"
        role="meter"
        aria-label={`${label}: ${usd(spentUsd)} spent`}
        aria-valuemin={0}
        aria-valuemax={limits.emergencyUsd}
        aria-valuenow={spent}
      >
        <div className="gauge-zone zone-ok" style={{ left: 0, width: at(limits.softUsd) }} />
        <div
          className="gauge-zone zone-soft"
          style={{ left: at(limits.softUsd), width: `calc(${at(limits.hardUsd)} - ${at(limits.softUsd)})` }}
        />
        <div
          className="gauge-zone zone-hard"
          style={{ left: at(limits.hardUsd), width: `calc(${at(limits.emergencyUsd)} - ${at(limits.hardUsd)})` }}
        />
        <div className="gauge-zone zone-emergency" style={{ left: at(limits.emergencyUsd), right: 0 }} />
        <div className="gauge-fill" style={{ width: fill }} />
        {(['softUsd', 'hardUsd', 'emergencyUsd'] as const).map((key) => (
          <div key={key} className="gauge-mark" style={{ left: at(limits[key]) }} />
        ))}
      </div>
      <div className="gauge-scale">
        <span style={{ left: at(limits.softUsd) }}>soft {usd(limits.softUsd)}</span>
        <span style={{ left: at(limits.hardUsd) }}>hard {usd(limits.hardUsd)}</span>
        <span style={{ left: at(limits.emergencyUsd) }}>emergency {usd(limits.emergencyUsd)}</span>
      </div>
      <div className="gauge-status">
        <span className={`ops-pill tier-${tier}`}>{tier === 'ok' ? 'OK' : tier}</span> {TIER_TEXT[tier]} ·{' '}
        {Math.round((spent / Math.max(limits.hardUsd, 0.000001)) * 100)}% of the hard limit
      </div>
    </div>
  );
}
