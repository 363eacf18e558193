import type { inferRouterOutputs } from '@trpc/server';
import { memo } from 'react';
import { Link } from 'react-router';
import type { AppRouter } from '../../../server/root.js';
import { ROLE_LABELS, ROLE_SHORT, STATUS_LABELS, phaseLabel, shortDuration, usd, usdShort } from '../format.js';
import { RiskBadge } from './Badges.js';
import { Progress } from './Progress.js';
import './SubtaskCard.css';

type Card = inferRouterOutputs<AppRouter>['board']['list']['subtasks'][number];

/** One subtask on the board: what it is, where it is, who acts, what it cost, how old it is. */
export const SubtaskCard = memo(function SubtaskCard({ card }: { card: Card }) {
  const attention = card.awaitingApproval
    ? 'Awaiting approval'
    : card.escalated || card.status === 'blocked'
      ? 'Needs a person'
      : undefined;
  return (
    <Link
      to={`/subtasks/${card.project}/${card.key}`}
      className={`subtask-card${attention ? ' attention' : ''} status-edge-${card.status}`}
      data-testid={`card-${card.project}-${card.key}`}
    >
      <div className="card-top">
        <span className="card-key">
          {card.project}/{card.key}
        </span>
        <RiskBadge risk={card.risk} />
      </div>
      <div className="card-title" title={card.title}>
        {card.title}
      </div>
      <div className="card-phase">
        <span className="phase-badge" data-testid="card-phase">
          {card.phase ? phaseLabel(card.phase) : 'not started'}
        </span>
        {(card.status === 'failed' || card.status === 'retrying' || card.status === 'cancelled') && (
          <span className={`status-badge status-${card.status}`}>{STATUS_LABELS[card.status]}</span>
        )}
        {card.attempt > 1 &&
          card.status !== 'completed' &&
          card.status !== 'pending' &&
          card.status !== 'cancelled' && <span className="card-attempt">attempt {card.attempt}</span>}
      </div>
      {card.progress && <Progress done={card.progress.done} total={card.progress.total} />}
      {attention && <div className="card-attention">● {attention}</div>}
      <div className="card-foot">
        <span
          className="card-role"
          title={
            card.assignee ? `Who acts now: ${ROLE_LABELS[card.assignee] ?? card.assignee}` : 'Nobody: it is finished'
          }
          data-testid="card-role"
        >
          {card.assignee ? (ROLE_SHORT[card.assignee] ?? card.assignee) : '—'}
        </span>
        <span className="card-cost" title={`Model calls so far: ${usd(card.costUsd)}`} data-testid="card-cost">
          {usdShort(card.costUsd)}
        </span>
        <span className="card-age" title={`Created ${new Date(card.createdAt).toLocaleString()}`}>
          {shortDuration(card.ageSeconds * 1000)}
        </span>
      </div>
    </Link>
  );
});
