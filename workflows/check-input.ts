import type { CheckInput } from '../activities/subtask/checks.js';
import type { CheckPurpose } from '../domain/checks.js';
import type { PhaseDefinition } from '../domain/phases.js';
import type { SuiteConfig } from '../domain/project.js';

/** What every check of a subtask shares: whose it is, the project's suites, the baseline it compares with. */
export interface CheckedSubtask {
  workflowId: string;
  subtaskId: string;
  projectId: string;
  suites: SuiteConfig[];
  baselineFile: string;
}

/** The runner's input for checking `sha` in `worktree` by a phase's check. */
export function checkInput(
  subtask: CheckedSubtask,
  phase: Pick<PhaseDefinition, 'name' | 'check' | 'suite'>,
  at: { attempt: number; purpose: CheckPurpose; worktree: string; sha: string },
): CheckInput {
  return {
    workflowId: subtask.workflowId,
    subtaskId: subtask.subtaskId,
    projectId: subtask.projectId,
    phase: phase.name,
    attempt: at.attempt,
    purpose: at.purpose,
    kind: phase.check === 'new_tests_fail' ? 'new_tests_fail' : 'suite_passes',
    suite: phase.suite,
    worktree: at.worktree,
    sha: at.sha,
    suites: subtask.suites,
    baselineFile: subtask.baselineFile,
  };
}
