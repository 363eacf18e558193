import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/root.js';
import { clock, phaseLabel, preciseDuration, usd } from '../format.js';
import { EmptyState } from './Notice.js';

type Calls = inferRouterOutputs<AppRouter>['subtask']['modelCalls'];

const tokens = (value: number) => value.toLocaleString();

/** Calls not answered (yet, or ever) are charged at the most they can cost until they are. */
const OUTCOME_BADGES: Record<string, string> = { sent: 'neutral', unknown: 'warn', skipped: 'neutral' };

function outcomeTitle(call: Calls['calls'][number]): string | undefined {
  if (call.outcome === 'sent') return 'On its way to the model: charged at the most it can cost until it is answered';
  return call.error ?? undefined;
}

/** The subtask's lines of the cost ledger, and what they add up to. */
export function ModelCalls({ data }: { data: Calls }) {
  if (data.calls.length === 0) {
    return (
      <EmptyState title="No model calls yet" icon="$">
        <p>Every call an agent makes is metered here, with its tokens and what it cost.</p>
      </EmptyState>
    );
  }
  return (
    <div data-testid="model-calls">
      <div className="totals">
        <div>
          <span className="total-label">Total</span>
          <span className="total-value" data-testid="model-calls-total">
            {usd(data.total.costUsd)}
          </span>
        </div>
        <div>
          <span className="total-label">Calls</span>
          <span className="total-value">{data.total.calls}</span>
        </div>
        <div>
          <span className="total-label">Tokens in / out</span>
          <span className="total-value">
            {tokens(data.total.inputTokens)} / {tokens(data.total.outputTokens)}
          </span>
        </div>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th>Time</th>
            <th>Phase</th>
            <th>Role</th>
            <th>Model</th>
            <th className="num">In</th>
            <th className="num">Out</th>
            <th className="num">Latency</th>
            <th className="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {data.calls.map((call) => (
            <tr key={call.id} data-testid="model-call">
              <td>{clock(call.occurredAt)}</td>
              <td>{call.phase ? phaseLabel(call.phase) : '—'}</td>
              <td>{call.role ?? call.purpose}</td>
              <td>
                <code>{call.model}</code>
                {call.outcome !== 'ok' && (
                  <span className={`badge ${OUTCOME_BADGES[call.outcome] ?? 'bad'}`} title={outcomeTitle(call)}>
                    {call.outcome}
                  </span>
                )}
              </td>
              <td className="num">
                {tokens(call.inputTokens)}
                {call.estimated && <span title="The provider reported no usage: counted with a tokenizer">*</span>}
              </td>
              <td className="num">{tokens(call.outputTokens)}</td>
              <td className="num">{preciseDuration(call.latencyMs)}</td>
              <td className="num">{usd(call.costUsd)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={4}>
              {data.truncated
                ? `The first ${data.calls.length} of ${data.total.calls} calls`
                : `${data.total.calls} calls`}
            </td>
            <td className="num">{tokens(data.total.inputTokens)}</td>
            <td className="num">{tokens(data.total.outputTokens)}</td>
            <td />
            <td className="num">{usd(data.total.costUsd)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
