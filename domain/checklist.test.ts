import { describe, expect, test } from 'vitest';
import { buildChecklist, checklistProgress, markPhase, passPhase, reopenFrom } from './checklist.js';
import { DEFAULT_PHASES } from './phases.js';

const fresh = () => buildChecklist(DEFAULT_PHASES, ['adds the tax', 'rounds to cents']);
const done = (checklist: ReturnType<typeof fresh>) => checklist.filter((item) => item.done).map((item) => item.id);

describe('the checklist', () => {
  test('one item per phase, then one per criterion; progress counts what is done', () => {
    const checklist = fresh();
    expect(checklist.map((item) => item.id)).toEqual([
      ...DEFAULT_PHASES.map((phase) => `phase:${phase.name}`),
      'criterion:1',
      'criterion:2',
    ]);
    expect(checklistProgress(checklist)).toBe('0/9');
    expect(checklistProgress(markPhase(checklist, 'red', true))).toBe('1/9');
  });

  test('a passed phase is done, with the criteria the agent reviewed met or not', () => {
    const checklist = passPhase(fresh(), 'verify', [
      { index: 1, met: true, note: 'tested by cart.test.js' },
      { index: 2, met: false, note: 'no test rounds' },
    ]);
    expect(done(checklist)).toEqual(['phase:verify', 'criterion:1']);
    expect(checklist.find((item) => item.id === 'criterion:2')).toMatchObject({ done: false, note: 'no test rounds' });
    expect(checklistProgress(checklist)).toBe('2/9');
  });

  test('going back to a phase reopens it and every later phase, and keeps the earlier ones and the criteria', () => {
    let checklist = fresh();
    for (const phase of ['red', 'green', 'refactor', 'integration_red'] as const)
      checklist = passPhase(checklist, phase);
    checklist = passPhase(checklist, 'integration_green', [{ index: 1, met: true }]);
    expect(done(reopenFrom(checklist, DEFAULT_PHASES, 'refactor'))).toEqual([
      'phase:red',
      'phase:green',
      'criterion:1',
    ]);
    expect(done(reopenFrom(checklist, DEFAULT_PHASES, 'red'))).toEqual(['criterion:1']);
  });
});
