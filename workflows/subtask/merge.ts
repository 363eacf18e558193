import { patched } from '@temporalio/workflow';
import { checklistProgress, markPhase } from '../../domain/checklist.js';
import type { PhaseDefinition, PhaseName } from '../../domain/phases.js';
import { reportPaths } from '../../domain/project.js';
import { checkInput } from '../check-input.js';
import { unblockDependents } from './dependencies.js';
import { gate } from './gate.js';
import type { Interrupt } from './interrupts.js';
import { mustSucceed, waitForPerson } from './person.js';
import type { SubtaskRun } from './run.js';
import { short } from './short.js';

/** How the complete phase ended, for the main sequence. */
export type CompletionEnd =
  { next: 'merged' } | { next: 'goto'; phase: PhaseName; reviewerComment?: string } | { next: 'cancelled' };

/** Rounds of merge, rebase and verify before a base that keeps moving is a person's to look at. */
const MERGE_ROUNDS = 3;

/** An override that ends the merge: cancel, or a reset back to a phase. */
function endedBy(run: SubtaskRun, answer: Interrupt): CompletionEnd | undefined {
  if (answer.kind === 'cancel') {
    run.interrupts.keep(answer);
    return { next: 'cancelled' };
  }
  if (answer.kind === 'reset')
    return { next: 'goto', phase: answer.phase, reviewerComment: `reset by ${answer.actor}: ${answer.reason}` };
  return undefined;
}

/** The complete phase: the approval gate by risk, then the merge (rebasing and re-verifying if the base moved). */
export async function completePhase(run: SubtaskRun, phase: PhaseDefinition, forced: boolean): Promise<CompletionEnd> {
  const { state, project } = run;
  state.phase = phase.name;
  state.attempt = 1;
  if (state.status !== 'ready_for_review')
    await run.transition('ready_for_review', forced ? 'forced to complete' : 'every check passed; ready to merge');
  if (!forced && run.spec.risk !== 'low') {
    const answer = await gate(run, 'merge');
    if (answer === 'cancelled') return { next: 'cancelled' };
    if (answer !== 'approved') return { next: 'goto', phase: answer.phase, reviewerComment: answer.reviewerComment };
  }

  let expectedBase = state.shas.base!;
  // The test reports never reach the base branch, whatever a commit holds.
  const leaveOut = patched('merge-leaves-out-test-reports') ? reportPaths(project.suites) : undefined;
  for (let round = 1; round <= MERGE_ROUNDS; round++) {
    await run.waitWhilePaused();
    if (run.interrupts.pending()) {
      const end = endedBy(run, run.interrupts.take());
      if (end) return end;
    }
    const merging = await mustSucceed(
      run,
      `merging into ${project.baseBranch}`,
      phase.name,
      () =>
        run.workspace.mergeBranch({
          repoPath: project.repoPath,
          baseBranch: project.baseBranch,
          branch: state.branch!,
          expectedBaseSha: expectedBase,
          message: `Merge ${state.branch}: ${run.spec.key} ${run.spec.title}`,
          ...(leaveOut ? { leaveOut } : {}),
        }),
      ['retry', 'reset', 'cancel'],
    );
    if ('answer' in merging) {
      const end = endedBy(run, merging.answer);
      if (end) return end;
      continue;
    }
    const merge = merging.ok;
    if (merge.status === 'merged') {
      await recordMerge(run, phase, merge.mergeSha);
      return { next: 'merged' };
    }

    // The base branch moved: rebase onto it and verify again before merging.
    const rebasing = await mustSucceed(
      run,
      `rebasing onto ${project.baseBranch}`,
      phase.name,
      () => run.workspace.rebaseBranch({ worktree: state.worktree!, baseBranch: project.baseBranch }),
      ['retry', 'reset', 'cancel'],
    );
    if ('answer' in rebasing) {
      const end = endedBy(run, rebasing.answer);
      if (end) return end;
      continue;
    }
    const rebase = rebasing.ok;
    if (rebase.status === 'conflicts') {
      const answer = await waitForPerson(
        run,
        phase.name,
        {
          reason: `${project.baseBranch} moved and the branch conflicts with it in ${rebase.files.join(', ')}`,
          options: ['retry', 'reset', 'cancel'],
          conflicts: rebase.files,
        },
        1,
      );
      const end = endedBy(run, answer);
      if (end) return end;
      await run.transition('ready_for_review', `trying the merge again after ${answer.actor} looked at the conflict`);
      continue;
    }
    await run.transition(
      'testing',
      `${project.baseBranch} moved to ${short(rebase.baseSha)}: rebased and verifying again`,
    );
    const verifying = await mustSucceed(
      run,
      'verifying the rebased branch',
      phase.name,
      () =>
        run.runner.runCheck(
          checkInput(run.checked(), REVERIFY, {
            attempt: round,
            purpose: 'rebase',
            worktree: state.worktree!,
            sha: rebase.headSha,
          }),
        ),
      ['retry', 'reset', 'cancel'],
    );
    if ('answer' in verifying) {
      const end = endedBy(run, verifying.answer);
      if (end) return end;
      // Another override cut the verification short (force complete, skip, retry): the round starts again.
      if (state.status === 'testing')
        await run.transition(
          'ready_for_review',
          `the verification was cut short by ${verifying.answer.actor} (${verifying.answer.kind.replace('_', ' ')}); merging again`,
        );
      continue;
    }
    if (!verifying.ok.passed) {
      const answer = await waitForPerson(
        run,
        phase.name,
        {
          reason: `after rebasing onto ${project.baseBranch}: ${verifying.ok.reason}`,
          options: ['reset', 'retry', 'cancel'],
        },
        1,
      );
      const end = endedBy(run, answer);
      if (end) return end;
      // Retry: rebase and verify again (someone may have fixed the base meanwhile).
      await run.transition('ready_for_review', `verifying again after ${answer.actor} asked for it`);
      continue;
    }
    expectedBase = rebase.baseSha;
    state.shas.base = rebase.baseSha;
    await run.transition('ready_for_review', 're-verified on the moved base; merging');
  }
  const answer = await waitForPerson(
    run,
    phase.name,
    { reason: `${project.baseBranch} kept moving during three merge attempts`, options: ['retry', 'reset', 'cancel'] },
    1,
  );
  const end = endedBy(run, answer);
  if (end) return end;
  await run.transition('ready_for_review', `trying the merge again (${answer.actor})`);
  return completePhase(run, phase, true);
}

/** How a rebased branch is verified: the whole suite passes, as after verify. */
const REVERIFY = { name: 'verify', check: 'suite_passes', suite: 'unit' } as const satisfies Pick<
  PhaseDefinition,
  'name' | 'check' | 'suite'
>;

/** Merged: the checklist's last item, the completion record with the red-before-green proof, and the dependents told. */
async function recordMerge(run: SubtaskRun, phase: PhaseDefinition, mergeSha: string): Promise<void> {
  const { state, project, spec } = run;
  state.shas.merge = mergeSha;
  state.checklist = markPhase(state.checklist, phase.name, true);
  state.progress = checklistProgress(state.checklist);
  await run.transition('completed', `merged into ${project.baseBranch} as ${short(mergeSha)}`, {
    completed: true,
    events: [
      {
        actor: 'orchestrator',
        kind: 'subtask.completed',
        message: `${spec.key} merged; red-before-green proof: ${state.redEvidence ? state.redEvidence.newFailingTests.join('; ') || state.redEvidence.reason : 'none (red was skipped)'}`,
        data: {
          mergeSha,
          shas: state.shas,
          redEvidence: state.redEvidence,
          skipped: state.skipped,
          progress: state.progress,
        },
      },
    ],
  });
  await unblockDependents(run);
}
