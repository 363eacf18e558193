/**
 * The TDD phases of a subtask. Workflow code imports this file, so it holds plain data only.
 */
export const ROLES = ['orchestrator', 'tester', 'developer'] as const;
export type Role = (typeof ROLES)[number];

export const PHASE_NAMES = [
  'red',
  'green',
  'refactor',
  'integration_red',
  'integration_green',
  'verify',
  'complete',
] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/**
 * What must be true after a phase's agent commits:
 * - `new_tests_fail`: tests that did not exist before fail, and every test that passed before passes;
 * - `suite_passes`: every test of every suite passes;
 * - `merge`: the complete phase: approval gate by risk, then the merge into the base branch.
 */
export type CheckKind = 'new_tests_fail' | 'suite_passes' | 'merge';

/** Which test command a phase is about: the unit suite or the integration suite. */
export type SuiteName = 'unit' | 'integration';

export interface PhaseDefinition {
  name: PhaseName;
  role: Role;
  check: CheckKind;
  /** For `new_tests_fail`: the suite the new tests belong to. */
  suite: SuiteName;
  /** What the agent is asked to do, in one line (the role's prompt file says how). */
  goal: string;
}

export const DEFAULT_PHASES: readonly PhaseDefinition[] = [
  {
    name: 'red',
    role: 'tester',
    check: 'new_tests_fail',
    suite: 'unit',
    goal: 'Write unit tests for the acceptance criteria; they must fail on the current code.',
  },
  {
    name: 'green',
    role: 'developer',
    check: 'suite_passes',
    suite: 'unit',
    goal: 'Write the least code that makes every test pass.',
  },
  {
    name: 'refactor',
    role: 'developer',
    check: 'suite_passes',
    suite: 'unit',
    goal: 'Improve the code without changing behaviour; every test keeps passing.',
  },
  {
    name: 'integration_red',
    role: 'tester',
    check: 'new_tests_fail',
    suite: 'integration',
    goal: 'Write integration tests for the acceptance criteria; they must fail on the current code.',
  },
  {
    name: 'integration_green',
    role: 'developer',
    check: 'suite_passes',
    suite: 'integration',
    goal: 'Make every test, unit and integration, pass.',
  },
  {
    name: 'verify',
    role: 'tester',
    check: 'suite_passes',
    suite: 'unit',
    goal: 'Review the change against every acceptance criterion and say which are met.',
  },
  {
    name: 'complete',
    role: 'orchestrator',
    check: 'merge',
    suite: 'unit',
    goal: 'Merge the branch into the base branch.',
  },
];

export function isPhaseName(value: unknown): value is PhaseName {
  return typeof value === 'string' && (PHASE_NAMES as readonly string[]).includes(value);
}

/** The phase before this one, where a person may send the work back to; none before the first. */
export function phaseBefore(phases: readonly PhaseDefinition[], name: PhaseName): PhaseName | undefined {
  const index = phases.findIndex((phase) => phase.name === name);
  return index > 0 ? phases[index - 1]!.name : undefined;
}
