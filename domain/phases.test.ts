import { expect, test } from 'vitest';
import {
  DEFAULT_PHASES,
  NO_INTEGRATION_SUITE,
  describePhasePlan,
  explainPhases,
  explainSubtaskPhases,
  notRunProblem,
  phaseBefore,
  planPhases,
} from './phases.js';

test('the phase a person may send the work back to is the one before; none before the first', () => {
  expect(phaseBefore(DEFAULT_PHASES, 'green')).toBe('red');
  expect(phaseBefore(DEFAULT_PHASES, 'complete')).toBe('verify');
  expect(phaseBefore(DEFAULT_PHASES, 'red')).toBeUndefined();
  expect(
    phaseBefore(
      DEFAULT_PHASES.filter((phase) => !phase.name.startsWith('integration')),
      'verify',
    ),
  ).toBe('refactor');
});

test('without an integration suite the integration phases are left out, and the plan says why', () => {
  const unitOnly = planPhases(DEFAULT_PHASES, ['unit']);
  expect(unitOnly.phases.map((phase) => phase.name)).toEqual(['red', 'green', 'refactor', 'verify', 'complete']);
  expect(unitOnly.plan).toEqual({
    runs: ['red', 'green', 'refactor', 'verify', 'complete'],
    leftOut: [
      { phase: 'integration_red', reason: NO_INTEGRATION_SUITE },
      { phase: 'integration_green', reason: NO_INTEGRATION_SUITE },
    ],
  });
  expect(describePhasePlan(unitOnly.plan)).toBe(
    'Subtasks of this project run red, green, refactor, verify, complete; integration_red and integration_green are left out: the project has no integrationTestCommand, so there are no integration tests to write or to make pass.',
  );
  expect(notRunProblem(unitOnly.plan, 'integration_green')).toBe(
    `integration_green does not run for this subtask: ${NO_INTEGRATION_SUITE}`,
  );
  expect(notRunProblem(unitOnly.plan, 'green')).toBeUndefined();

  const both = planPhases(DEFAULT_PHASES, ['unit', 'integration']);
  expect(both.phases).toEqual(DEFAULT_PHASES);
  expect(describePhasePlan(both.plan, 'subtask')).toBe(
    'This subtask runs red, green, refactor, integration_red, integration_green, verify, complete.',
  );
  // A snapshot without a phase its project could run: another definition's choice, said so.
  expect(
    explainPhases(
      DEFAULT_PHASES.filter((phase) => phase.name !== 'refactor'),
      ['unit', 'integration'],
    ).leftOut,
  ).toEqual([{ phase: 'refactor', reason: "it is not in this subtask's phase definition" }]);
});

test("a subtask's plan lists what its own phases leave out, not the phases of the default definition", () => {
  const configured = DEFAULT_PHASES.filter((phase) => ['red', 'green', 'verify', 'complete'].includes(phase.name));
  // A configured definition without refactor: nothing is said to be left out of this subtask's definition.
  expect(explainSubtaskPhases(configured, ['unit', 'integration'])).toEqual({
    runs: ['red', 'green', 'verify', 'complete'],
    leftOut: [],
  });
  // Without an integration suite, the integration phases are left out, and why.
  expect(explainSubtaskPhases(configured, ['unit'])).toEqual({
    runs: ['red', 'green', 'verify', 'complete'],
    leftOut: [
      { phase: 'integration_red', reason: NO_INTEGRATION_SUITE },
      { phase: 'integration_green', reason: NO_INTEGRATION_SUITE },
    ],
  });
  expect(explainSubtaskPhases(DEFAULT_PHASES, ['unit', 'integration'])).toEqual({
    runs: DEFAULT_PHASES.map((phase) => phase.name),
    leftOut: [],
  });
  expect(explainSubtaskPhases(planPhases(DEFAULT_PHASES, ['unit']).phases, ['unit'])).toEqual(
    planPhases(DEFAULT_PHASES, ['unit']).plan,
  );
});
