import { describe, expect, test } from 'vitest';
import { SUBTASK_STATUSES, type SubtaskStatus, assertTransition, canTransition, isFinal } from './lifecycle.js';
import { buildChecklist, checklistProgress, markCriterion, markPhase } from './checklist.js';
import { DEFAULT_PHASES } from './phases.js';

/**
 * Every transition the subtask workflow makes (workflows/subtask/), written out here apart from the
 * table, so that a transition added to or dropped from the table fails a test.
 */
const ALLOWED: ReadonlyArray<readonly [SubtaskStatus, SubtaskStatus]> = [
  ['pending', 'in_progress'],
  ['pending', 'blocked'],
  ['pending', 'cancelled'],
  ['in_progress', 'testing'],
  ['in_progress', 'failed'],
  ['in_progress', 'blocked'],
  ['in_progress', 'ready_for_review'],
  ['in_progress', 'cancelled'],
  ['testing', 'in_progress'],
  ['testing', 'failed'],
  ['testing', 'ready_for_review'],
  ['testing', 'blocked'],
  ['testing', 'cancelled'],
  ['failed', 'retrying'],
  ['failed', 'testing'],
  ['failed', 'blocked'],
  ['failed', 'in_progress'],
  ['failed', 'ready_for_review'],
  ['failed', 'cancelled'],
  ['retrying', 'testing'],
  ['retrying', 'failed'],
  ['retrying', 'blocked'],
  ['retrying', 'in_progress'],
  ['retrying', 'ready_for_review'],
  ['retrying', 'cancelled'],
  ['blocked', 'in_progress'],
  ['blocked', 'retrying'],
  ['blocked', 'testing'],
  ['blocked', 'ready_for_review'],
  ['blocked', 'completed'],
  ['blocked', 'blocked'],
  ['blocked', 'cancelled'],
  ['ready_for_review', 'completed'],
  ['ready_for_review', 'testing'],
  ['ready_for_review', 'in_progress'],
  ['ready_for_review', 'blocked'],
  ['ready_for_review', 'cancelled'],
];
const allowed = new Set(ALLOWED.map(([from, to]) => `${from} -> ${to}`));
const pairs = SUBTASK_STATUSES.flatMap((from) => SUBTASK_STATUSES.map((to) => [from, to] as const));

describe('the subtask lifecycle', () => {
  test('the list above names real statuses, each pair once', () => {
    expect(allowed.size).toBe(ALLOWED.length);
    for (const [from, to] of ALLOWED)
      expect(SUBTASK_STATUSES, `${from} -> ${to}`).toEqual(expect.arrayContaining([from, to]));
    expect(pairs).toHaveLength(81);
  });

  test.each(pairs.filter(([from, to]) => allowed.has(`${from} -> ${to}`)))('%s -> %s is allowed', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  test.each(pairs.filter(([from, to]) => !allowed.has(`${from} -> ${to}`)))('%s -> %s throws', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(`Illegal subtask transition ${from} -> ${to}: `);
  });

  test('the error says what is allowed instead', () => {
    expect(() => assertTransition('pending', 'testing')).toThrow(
      'Illegal subtask transition pending -> testing: from pending only in_progress, blocked, cancelled',
    );
    expect(() => assertTransition('completed', 'cancelled')).toThrow(
      'Illegal subtask transition completed -> cancelled: completed is final',
    );
  });

  test('completed and cancelled are final, nothing else is', () => {
    expect(SUBTASK_STATUSES.filter((status) => isFinal(status))).toEqual(['completed', 'cancelled']);
    for (const status of SUBTASK_STATUSES)
      expect(canTransition(status, 'cancelled'), `${status} -> cancelled`).toBe(!isFinal(status));
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
    expect(checklist.find((item) => item.id === 'criterion:2')).toMatchObject({
      done: true,
      note: 'rounding test',
      label: 'rounds',
    });
  });
});
