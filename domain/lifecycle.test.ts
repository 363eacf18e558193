import { describe, expect, test } from 'vitest';
import { assertTransition, canTransition } from './lifecycle.js';
import { buildChecklist, checklistProgress, markCriterion, markPhase } from './checklist.js';
import { DEFAULT_PHASES } from './phases.js';

describe('the subtask lifecycle', () => {
  test('follows the documented path', () => {
    for (const [from, to] of [
      ['pending', 'in_progress'],
      ['in_progress', 'testing'],
      ['testing', 'ready_for_review'],
      ['ready_for_review', 'completed'],
      ['in_progress', 'blocked'],
      ['blocked', 'in_progress'],
      ['blocked', 'blocked'],
      ['testing', 'failed'],
      ['failed', 'retrying'],
      ['retrying', 'testing'],
    ] as const) {
      expect(canTransition(from, to), `${from} -> ${to}`).toBe(true);
    }
  });

  test('anything not finished can be cancelled; finished is final', () => {
    expect(canTransition('testing', 'cancelled')).toBe(true);
    expect(canTransition('completed', 'cancelled')).toBe(false);
    expect(canTransition('cancelled', 'in_progress')).toBe(false);
  });

  test('an illegal transition is a bug, thrown', () => {
    expect(() => assertTransition('pending', 'testing')).toThrow('Illegal subtask transition pending -> testing');
    expect(() => assertTransition('completed', 'in_progress')).toThrow();
  });
});

describe('the checklist', () => {
  test('has one item per phase and one per acceptance criterion, with progress', () => {
    let checklist = buildChecklist(DEFAULT_PHASES, ['adds tax', 'rounds']);
    expect(checklist).toHaveLength(9);
    expect(checklistProgress(checklist)).toBe('0/9');
    checklist = markPhase(checklist, 'red', true);
    checklist = markPhase(checklist, 'green', true);
    checklist = markCriterion(checklist, 2, true, 'rounding test');
    expect(checklistProgress(checklist)).toBe('3/9');
    expect(checklist.find((item) => item.id === 'criterion:2')).toMatchObject({ done: true, note: 'rounding test', label: 'rounds' });
  });
});
