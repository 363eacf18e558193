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

/** Which phases a subtask runs, and why the others of the definition are left out. */
export interface PhasePlan {
  /** The phases it runs, in order. */
  runs: PhaseName[];
  leftOut: Array<{ phase: PhaseName; reason: string }>;
}

/** Why a project's subtasks have no integration phases. */
export const NO_INTEGRATION_SUITE =
  'the project has no integrationTestCommand, so there are no integration tests to write or to make pass';

/**
 * The phases of a definition that a project with these suites can run: without an integration
 * suite, none of the phases about it.
 */
export function planPhases(
  definition: readonly PhaseDefinition[],
  suites: readonly SuiteName[],
): { phases: PhaseDefinition[]; plan: PhasePlan } {
  const phases = definition.filter((phase) => phase.suite !== 'integration' || suites.includes('integration'));
  return { phases, plan: explainPhases(phases, suites, definition) };
}

/**
 * What a subtask's phase snapshot runs, and for each phase of `definition` it does not, why (the
 * project's suites say it for the integration phases).
 */
export function explainPhases(
  phases: readonly PhaseDefinition[],
  suites: readonly SuiteName[],
  definition: readonly PhaseDefinition[] = DEFAULT_PHASES,
): PhasePlan {
  const runs = phases.map((phase) => phase.name);
  return {
    runs,
    leftOut: definition
      .filter((phase) => !runs.includes(phase.name))
      .map((phase) => ({
        phase: phase.name,
        reason:
          phase.suite === 'integration' && !suites.includes('integration')
            ? NO_INTEGRATION_SUITE
            : "it is not in this subtask's phase definition",
      })),
  };
}

/**
 * What a subtask's own phase snapshot runs, and what its start left out: the integration phases of
 * the definition when the project has no integration suite. A phase its snapshot has not for another
 * reason (a configured definition without it) was never its to run and is not listed.
 */
export function explainSubtaskPhases(phases: readonly PhaseDefinition[], suites: readonly SuiteName[]): PhasePlan {
  const runs = new Set(phases.map((phase) => phase.name));
  const withoutSuite = suites.includes('integration')
    ? []
    : DEFAULT_PHASES.filter((phase) => phase.suite === 'integration' && !runs.has(phase.name));
  return explainPhases(phases, suites, [...phases, ...withoutSuite]);
}

/** The plan in one sentence: `Subtasks run red, green, …; integration_red and integration_green are left out: …`. */
export function describePhasePlan(plan: PhasePlan, of: 'project' | 'subtask' = 'project'): string {
  const runs = `${of === 'project' ? 'Subtasks of this project run' : 'This subtask runs'} ${plan.runs.join(', ')}`;
  if (plan.leftOut.length === 0) return `${runs}.`;
  const reasons = [...new Set(plan.leftOut.map((item) => item.reason))];
  return `${runs}; ${reasons
    .map((reason) => {
      const phases = plan.leftOut.filter((item) => item.reason === reason).map((item) => item.phase);
      return `${phases.join(' and ')} ${phases.length === 1 ? 'is' : 'are'} left out: ${reason}`;
    })
    .join('; ')}.`;
}

/** Why a phase a person named will not run for this subtask, or undefined when it does run. */
export function notRunProblem(plan: PhasePlan | undefined, phase: PhaseName): string | undefined {
  const left = plan?.leftOut.find((item) => item.phase === phase);
  return left ? `${phase} does not run for this subtask: ${left.reason}` : undefined;
}
