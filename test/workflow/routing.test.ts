import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setBudget } from '../../web/server/budgets.js';
import { type WorkflowEnv, startWorkflowEnv } from '../support/workflow-env.js';
import { REMINDER_NEVER_MS } from '../support/workflow-env-settings.js';
import { decide, outcomeOf, override, passing, timers } from '../support/workflow-history.js';

/**
 * Routing's decisions before and around an attempt: a provider that keeps failing is routed again
 * (with backoff) before it counts as the attempt's failure; a project over its hard or emergency
 * budget holds until a person raises the budget (through the API's own setBudget) or cancels; over
 * the soft limit the work goes on, announced once.
 */
let wf: WorkflowEnv;
beforeAll(async () => {
  wf = await startWorkflowEnv('routing');
});
afterAll(() => wf?.close());

const kinds = async (subtask: Parameters<WorkflowEnv['events']>[0]) =>
  (await wf.events(subtask)).map((event) => event.kind);

describe('routing', () => {
  test('a provider refusing the call is its trouble, not the agent’s: the attempt is routed again with backoff, three times, then it counts as failed', async () => {
    wf.script({ match: { key: '40-1', phase: 'green' }, turns: [{ httpStatus: 401 }] });
    const subtask = await wf.start(await wf.project(), { key: '40-1', settings: { maxAttempts: 1 } });
    const blocked = await wf.waitFor(subtask, (state) => state.status === 'blocked', 'a person to be asked');
    expect(blocked).toMatchObject({ attempt: 1, blocked: { tier: 1 } });
    expect(blocked.blocked!.reason).toMatch(/^1 attempt\(s\) of green failed; last: scripted: /);
    expect(blocked.blocked!.reason).toMatch(/401|scripted 401/);
    const log = await wf.events(subtask);
    expect(log.filter((event) => event.kind === 'routing.provider_failure').map((event) => event.message)).toEqual(
      Array.from({ length: 3 }, () =>
        expect.stringMatching(/^green attempt 1 on scripted stopped: .*; routing it again$/),
      ),
    );
    expect(
      log.filter((event) => event.kind === 'phase.handoff').map((event) => (event.data as { attempt: number }).attempt),
    ).toEqual([1, 1, 1, 1]);
    // retryDelayMs(1, 2, 3) of the settings (50 doubling, at most 200), then the escalation's reminder.
    expect(await timers(subtask.handle)).toEqual([50, 100, 200, REMINDER_NEVER_MS]);
    await override({ action: 'cancel', reason: 'the provider is down' })(subtask.handle);
    expect((await outcomeOf(subtask.handle)).status).toBe('cancelled');
  });

  // The AI SDK reports a body that is not JSON as an APICallError with status 200: a broken answer, the provider's trouble.
  test('a broken answer (not JSON) is the provider’s trouble too: the attempt is routed again', async () => {
    wf.script({ match: { key: '40-4', phase: 'green' }, turns: [{ malformed: true }] });
    const subtask = await wf.start(await wf.project(), { key: '40-4', settings: { maxAttempts: 1 } });
    try {
      await wf.waitFor(subtask, (state) => state.status === 'blocked', 'a person to be asked');
      expect(await kinds(subtask)).toContain('routing.provider_failure');
    } finally {
      await subtask.handle.terminate('the test is over').catch(() => undefined);
    }
  });

  test('over the emergency budget nothing is routed: a person raises the budget (setBudget signals the subtask) and it goes on', async () => {
    const project = await wf.project({}, { budget: { softUsd: 0, hardUsd: 0, emergencyUsd: 0 } });
    wf.script(passing('40-2', 'green'));
    const subtask = await wf.start(project, { key: '40-2' });
    const blocked = await wf.waitFor(subtask, (state) => state.status === 'blocked', 'the budget hold');
    expect(blocked).toMatchObject({
      phase: 'green',
      budget: { tier: 'emergency' },
      blocked: { tier: 4, options: ['raise_budget', 'cancel'] },
    });
    expect(blocked.blocked!.reason).toMatch(/^budget: .*; raise the project's limits or cancel$/);
    await decide(subtask.handle, [
      {
        label: 'retry',
        send: override({ action: 'retry', hint: 'go on' }),
        refused: ['OverrideNotPossible', /answer with raise_budget, cancel$/],
      },
      {
        label: 'skip',
        send: override({ action: 'skip', reason: 'go on anyway' }),
        refused: ['OverrideNotPossible', /answer with raise_budget, cancel$/],
      },
    ]);
    expect(wf.scripted.requests.filter((request) => request.key === '40-2')).toEqual([]);

    await setBudget(
      wf.api(),
      project.name,
      { softUsd: 20, hardUsd: 50, emergencyUsd: 100 },
      'user:ann',
      'release week',
    );
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(await kinds(subtask)).toEqual(expect.arrayContaining(['budget.emergency']));
    expect(await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
      tier: 4,
      status: 'resolved',
      chosenOption: 'raise_budget',
      resolvedBy: 'user:ann',
    });
  });

  test('over the soft limit the work goes on, and the log says so once', async () => {
    const project = await wf.project({}, { budget: { softUsd: 0, hardUsd: 50, emergencyUsd: 100 } });
    wf.script(passing('40-3', 'green'));
    const subtask = await wf.start(project, { key: '40-3' });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect((await kinds(subtask)).filter((kind) => kind.startsWith('budget.'))).toEqual(['budget.soft']);
    expect((await wf.state(subtask)).budget).toMatchObject({ tier: 'soft' });
  });
});
