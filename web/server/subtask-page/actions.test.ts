import { describe, expect, test } from 'vitest';
import { buildChecklist } from '../../../domain/checklist.js';
import { DEFAULT_PHASES } from '../../../domain/phases.js';
import type { SubtaskState } from '../../../workflows/subtask/subtask.shared.js';
import { availableActions } from './actions.js';

function state(overrides: Partial<SubtaskState>): SubtaskState {
  return {
    workflowId: 'subtask-shop-3-1',
    subtaskId: '0',
    project: 'shop',
    key: '3-1',
    title: 'Add tax',
    risk: 'medium',
    status: 'in_progress',
    phase: 'green',
    attempt: 1,
    maxAttempts: 3,
    paused: false,
    shas: {},
    checklist: buildChecklist(DEFAULT_PHASES, ['adds tax']),
    progress: '1/8',
    skipped: [],
    queues: { orchestrator: 'maestro-orchestrator', tester: 'maestro-tester', developer: 'maestro-developer' },
    baseline: { file: 'baseline.json', passing: 3, failing: 0 },
    costUsd: '0',
    ...overrides,
  };
}

const names = (s: SubtaskState) => availableActions(s).actions.map((action) => action.action);

describe('the buttons a subtask offers', () => {
  test('running: pause, skip, reset to this or an earlier phase, reassign, force complete, cancel', () => {
    expect(names(state({}))).toEqual(['pause', 'skip', 'reset', 'reassign', 'force_complete', 'cancel']);
    expect(availableActions(state({})).actions.find((action) => action.action === 'reset')!.phases).toEqual([
      'red',
      'green',
    ]);
  });

  test('waiting for the merge approval: approve and reject (a reviewer), with the phases to return to', () => {
    const actions = availableActions(
      state({
        status: 'ready_for_review',
        phase: 'complete',
        pendingGate: { gate: 'merge', approvalId: 'a', since: '' },
      }),
    ).actions;
    expect(actions.slice(0, 2).map((action) => [action.action, action.role])).toEqual([
      ['approve', 'reviewer'],
      ['reject', 'reviewer'],
    ]);
    expect(actions[1]!.required).toEqual(['comment', 'returnTo']);
    expect(actions[1]!.phases).toEqual(['red', 'green', 'refactor', 'integration_red', 'integration_green', 'verify']);
    expect(actions.map((action) => action.action)).not.toContain('skip');
  });

  test('the plan gate of a high-risk subtask: a rejection can only start over at the first phase; nothing to reset yet', () => {
    const actions = availableActions(
      state({
        status: 'pending',
        phase: null,
        baseline: undefined,
        pendingGate: { gate: 'plan', approvalId: 'a', since: '' },
      }),
    ).actions;
    expect(actions.find((action) => action.action === 'reject')!.phases).toEqual(['red']);
    expect(actions.map((action) => action.action)).toEqual(['approve', 'reject', 'pause', 'reassign', 'cancel']);
  });

  test('blocked: the escalation’s options, the recommended one first, in its own words', () => {
    const actions = availableActions(
      state({
        status: 'blocked',
        blocked: {
          reason: 'three attempts failed',
          since: '',
          options: ['retry_with_model', 'retry', 'skip', 'cancel'],
          details: { retry_with_model: 'gpt-5 has not tried this phase' },
        },
      }),
    ).actions;
    expect(actions.map((action) => action.action)).toEqual([
      'retry_with_model',
      'retry',
      'pause',
      'skip',
      'force_complete',
      'cancel',
    ]);
    expect(actions[0]).toMatchObject({
      recommended: true,
      role: 'reviewer',
      detail: 'gpt-5 has not tried this phase',
      required: ['model'],
    });
  });

  test('paused: resume instead of pause; finished: nothing, and why', () => {
    expect(names(state({ paused: true }))[0]).toBe('resume');
    expect(availableActions(state({ status: 'completed' }))).toEqual({
      actions: [],
      note: 'The subtask is completed: nothing can be changed any more.',
    });
  });
});
