import { describe, expect, test } from 'vitest';
import {
  type OverrideAction,
  type OverrideContext,
  nothingToDecide,
  overrideProblem,
  returnToProblem,
  workPhases,
} from './override-rules.js';
import { DEFAULT_PHASES, NO_INTEGRATION_SUITE, planPhases } from './phases.js';

const MODELS = ['gpt-5', 'claude-sonnet-4'];
const working: OverrideContext = { status: 'in_progress', paused: false, phase: 'green', started: true };
const problem = (
  action: OverrideAction,
  subtask: Partial<OverrideContext> = {},
  extra: { phase?: 'red' | 'green' | 'verify' | 'complete'; model?: string } = {},
  pending?: OverrideAction,
) => overrideProblem({ action, ...extra }, { ...working, ...subtask }, DEFAULT_PHASES, pending, MODELS);

describe('which overrides apply to which state', () => {
  test('nothing changes a finished subtask', () => {
    for (const status of ['completed', 'cancelled'] as const) {
      for (const action of ['pause', 'resume', 'skip', 'cancel', 'force_complete', 'reassign'] as const) {
        expect(problem(action, { status }), `${action} on ${status}`).toBe(
          `the subtask is ${status}; nothing can be changed any more`,
        );
      }
    }
  });

  test('a working subtask takes pause, skip, reset back, force complete, reassign and cancel; not resume or retry', () => {
    const answers = Object.fromEntries(
      (['pause', 'resume', 'skip', 'force_complete', 'reassign', 'cancel', 'retry'] as const).map((action) => [
        action,
        problem(action),
      ]),
    );
    expect(answers).toEqual({
      pause: undefined,
      resume: 'the subtask is not paused',
      skip: undefined,
      force_complete: undefined,
      reassign: undefined,
      cancel: undefined,
      retry: 'retry answers a blocked subtask; this one is in_progress',
    });
    expect(problem('reset', {}, { phase: 'red' })).toBeUndefined();
    expect(problem('reset', {}, { phase: 'green' })).toBeUndefined();
  });

  test('pause twice, resume what is not paused', () => {
    expect(problem('pause', { paused: true })).toBe('the subtask is paused already');
    expect(problem('resume', { paused: true })).toBeUndefined();
  });

  test('before the workspace and the baseline: cancel only among the interrupting ones', () => {
    const preparing = { status: 'pending' as const, phase: null, started: false };
    expect(problem('cancel', preparing)).toBeUndefined();
    expect(problem('skip', preparing)).toBe('no phase is running yet');
    expect(problem('force_complete', preparing)).toBe(
      'the subtask is still preparing its workspace: cancel it, or force it once its phases run',
    );
    expect(problem('reset', preparing, { phase: 'red' })).toBe('no phase has started yet');
  });

  test('reset goes back to a work phase of this subtask, never forward or to complete', () => {
    expect(problem('reset', {}, { phase: 'verify' })).toBe('reset goes back, not forward: the subtask is in green');
    expect(problem('reset', {}, { phase: 'complete' })).toBe('reset to a work phase, not to complete');
    expect(
      overrideProblem(
        { action: 'reset', phase: 'verify' },
        working,
        DEFAULT_PHASES.filter((phase) => phase.name !== 'verify'),
        undefined,
        MODELS,
      ),
    ).toBe('verify is not a phase of this subtask');
  });

  test('the complete phase cannot be skipped', () => {
    expect(problem('skip', { phase: 'complete', status: 'ready_for_review' })).toBe(
      'the complete phase cannot be skipped: use force_complete or cancel',
    );
  });

  test('a blocked subtask takes the options it offers, and force complete or cancel whatever it offers', () => {
    const blocked = {
      status: 'blocked' as const,
      blocked: { reason: 'three attempts failed', options: ['retry_with_model', 'retry', 'reset', 'cancel'] },
    };
    expect(problem('retry', blocked)).toBeUndefined();
    expect(problem('reset', blocked, { phase: 'red' })).toBeUndefined();
    expect(problem('skip', blocked)).toBe(
      'the subtask is blocked (three attempts failed): answer with retry_with_model, retry, reset, cancel',
    );
    expect(problem('force_complete', blocked)).toBeUndefined();
    expect(problem('cancel', blocked)).toBeUndefined();
    expect(problem('pause', blocked)).toBeUndefined();
    const budget = { status: 'blocked' as const, blocked: { reason: 'budget', options: ['raise_budget', 'cancel'] } };
    expect(problem('retry', budget)).toBe('the subtask is blocked (budget): answer with raise_budget, cancel');
  });

  test('a retry names a model of the registry', () => {
    const blocked = { status: 'blocked' as const, blocked: { reason: 'failed', options: ['retry', 'cancel'] } };
    expect(problem('retry', blocked, { model: 'gpt-5' })).toBeUndefined();
    expect(problem('retry', blocked, { model: 'gpt-9' })).toBe(
      'gpt-9 is not in the model registry; the models are gpt-5, claude-sonnet-4',
    );
  });

  test('an interrupting override waits for the one before it; a cancel in progress refuses them all', () => {
    expect(problem('skip', {}, {}, 'reset')).toBe('an earlier reset is still being applied: try again in a moment');
    expect(problem('force_complete', {}, {}, 'skip')).toBe(
      'an earlier skip is still being applied: try again in a moment',
    );
    expect(problem('cancel', {}, {}, 'force_complete')).toBeUndefined();
    expect(problem('cancel', {}, {}, 'cancel')).toBe('the subtask is being cancelled');
    // Not interrupting: settings change while an interrupt is applied.
    expect(problem('pause', {}, {}, 'skip')).toBeUndefined();
    expect(problem('reassign', {}, {}, 'cancel')).toBeUndefined();
  });
});

describe('approvals and rejections', () => {
  test('only an open gate without a decision takes one', () => {
    expect(
      nothingToDecide({ status: 'ready_for_review', phase: 'complete', gate: 'merge', decided: false }),
    ).toBeUndefined();
    expect(nothingToDecide({ status: 'ready_for_review', phase: 'complete', gate: 'merge', decided: true })).toBe(
      'nothing waits for approval: the subtask is ready_for_review in complete',
    );
    expect(nothingToDecide({ status: 'testing', phase: 'green', decided: false })).toBe(
      'nothing waits for approval: the subtask is testing in green',
    );
    expect(nothingToDecide({ status: 'pending', phase: null, decided: false })).toBe(
      'nothing waits for approval: the subtask is pending',
    );
  });

  test('a rejection returns to a work phase; a rejected plan to the first one', () => {
    expect(returnToProblem('merge', 'green', DEFAULT_PHASES)).toBeUndefined();
    expect(returnToProblem('merge', 'complete', DEFAULT_PHASES)).toBe(
      `complete is not a phase to return to: name one of ${workPhases(DEFAULT_PHASES).join(', ')}`,
    );
    expect(returnToProblem('plan', 'red', DEFAULT_PHASES)).toBeUndefined();
    expect(returnToProblem('plan', 'green', DEFAULT_PHASES)).toBe(
      'nothing has been done yet: a rejected plan starts again at red, with your comment',
    );
  });

  test('a phase the subtask does not run is refused, with the reason it does not run', () => {
    const { phases, plan } = planPhases(DEFAULT_PHASES, ['unit']);
    expect(returnToProblem('merge', 'integration_green', phases, plan)).toBe(
      `integration_green does not run for this subtask: ${NO_INTEGRATION_SUITE}; return to one of red, green, refactor, verify`,
    );
    expect(returnToProblem('plan', 'integration_red', phases, plan)).toBe(
      `integration_red does not run for this subtask: ${NO_INTEGRATION_SUITE}; return to one of red`,
    );
    expect(returnToProblem('merge', 'refactor', phases, plan)).toBeUndefined();
    expect(
      overrideProblem(
        { action: 'reset', phase: 'integration_red' },
        { ...working, phase: 'verify' },
        phases,
        undefined,
        MODELS,
        plan,
      ),
    ).toBe(
      `integration_red does not run for this subtask: ${NO_INTEGRATION_SUITE}; reset to one of red, green, refactor, verify`,
    );
  });
});
