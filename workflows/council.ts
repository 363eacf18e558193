import {
  ActivityFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  executeChild,
  TimeoutFailure,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CouncilActivities,
  JudgeInput,
  Proposal,
  ProposeInput,
} from '../activities/council/council-activities.js';
import type { CheckActivities, CheckResult } from '../activities/subtask/checks.js';
import type { ProgressActivities } from '../activities/subtask/progress.js';
import type { WorkspaceActivities } from '../activities/subtask/workspace.js';
import { type Candidate, pickWinner } from '../domain/escalation.js';
import type { ModelChoice } from '../domain/models.js';
import { TASK_QUEUES } from '../domain/queues.js';
import { agentRunWorkflow } from './agent-run.js';
import { GIT_WORK, READ_MODEL_WRITES, councilWork, projectCommands } from './activity-options.js';
import type { CouncilCandidateSummary, CouncilInput, CouncilOutcome } from './council.shared.js';
import { checkInput } from './check-input.js';
import { failureMessage } from './failure-message.js';
import { QUESTIONS_ON_MODEL_QUEUES, askModelQuestion } from './model-question.js';

const store = proxyLocalActivities<ProgressActivities>(READ_MODEL_WRITES);
const workspace = proxyActivities<WorkspaceActivities>(GIT_WORK);

/**
 * Tier 3 of the ladder: several models asked in parallel for a candidate, each in its own worktree;
 * each candidate tested by the runner; a winner picked by the strategy and applied to the subtask's
 * branch. A member that fails or outlasts its time is left out, never the council's end; members
 * that answered before a worker died are not asked again (their answers are in this history).
 */
export async function councilWorkflow(input: CouncilInput): Promise<CouncilOutcome> {
  const councilId = workflowInfo().workflowId;
  const members = input.members.map((member) => member.id);
  const council = proxyActivities<CouncilActivities>(councilWork(input));
  const runner = proxyActivities<CheckActivities>(projectCommands(input));

  let sequence = 0;
  const audit = (kind: string, message: string, data?: Record<string, unknown>) =>
    store.recordProgress({
      subtaskId: input.subtaskId,
      projectId: input.projectId,
      workflowId: input.subtaskWorkflowId,
      key: `${councilId}/${workflowInfo().runId}/${++sequence}`,
      at: Date.now(),
      events: [{ actor: 'council', kind, message, data: { council: councilId, ...data } }],
    });

  const sessionId = await store.openCouncil({
    workflowId: councilId,
    subtaskId: input.subtaskId,
    projectId: input.projectId,
    phase: input.phase.name,
    problemType: input.problemType,
    strategy: input.strategy,
    members,
    at: Date.now(),
  });
  await audit(
    'council.convened',
    `Council convened: ${members.join(', ')} (${input.problemType}, ${input.strategy.replace('_', ' ')})`,
    { members, problemType: input.problemType, strategy: input.strategy },
  );

  const proposals: Array<Proposal | undefined> = [];
  const candidates: Candidate[] = [];
  const errors: Record<string, string> = {};
  try {
    const membersRunAsWorkflows = patched(COUNCIL_MEMBERS_AS_AGENT_RUNS);
    const answers = await Promise.allSettled(
      input.members.map((model) =>
        membersRunAsWorkflows
          ? proposeAsAgentRun(council, input, councilId, model)
          : council.proposeCandidate(proposeInput(input, councilId, model)),
      ),
    );
    for (const [index, answer] of answers.entries()) {
      const model = members[index]!;
      if (answer.status === 'fulfilled') {
        proposals.push(answer.value);
        await audit(
          'council.candidate',
          `${model} proposed a candidate: ${answer.value.diffLines} changed lines, ${answer.value.calls} call(s)`,
          { model, sha: answer.value.sha },
        );
        continue;
      }
      if (isCancellation(answer.reason)) throw answer.reason;
      proposals.push(undefined);
      const timedOut =
        (answer.reason instanceof ActivityFailure || answer.reason instanceof ChildWorkflowFailure) &&
        answer.reason.cause instanceof TimeoutFailure;
      errors[model] = timedOut
        ? `gave no answer within ${Math.round(input.memberTimeoutMs / 1000)} s`
        : failureMessage(answer.reason);
      candidates.push({
        model,
        status: timedOut ? 'timed_out' : 'failed',
        passedCheck: false,
        testsPassed: 0,
        testsFailed: 0,
        diffLines: 0,
      });
      await audit('council.member_failed', `${model} ${timedOut ? 'timed out' : 'failed'}: ${errors[model]}`, {
        model,
      });
    }

    // Each candidate tested in its own worktree, as many at once as the runner allows.
    const proposed = proposals.filter((proposal): proposal is Proposal => proposal !== undefined);
    const checks = await Promise.all(
      proposed.map((proposal, index) =>
        runner
          .runCheck(
            checkInput(
              {
                workflowId: input.subtaskWorkflowId,
                subtaskId: input.subtaskId,
                projectId: input.projectId,
                suites: input.project.suites,
                baselineFile: input.baselineFile,
              },
              input.phase,
              {
                attempt: 1_000 * input.round + 100 + index,
                purpose: 'council_candidate',
                worktree: proposal.worktree,
                sha: proposal.sha,
              },
            ),
          )
          .catch((error: unknown): CheckResult | Error => {
            if (isCancellation(error)) throw error;
            return new Error(`its tests could not run: ${failureMessage(error)}`);
          }),
      ),
    );
    for (const [index, proposal] of proposed.entries()) {
      const check = checks[index]!;
      if (check instanceof Error) {
        errors[proposal.model] = check.message;
        candidates.push({
          model: proposal.model,
          status: 'proposed',
          sha: proposal.sha,
          passedCheck: false,
          testsPassed: 0,
          testsFailed: 0,
          diffLines: proposal.diffLines,
          treeSha: proposal.treeSha,
          confidence: proposal.confidence,
        });
        continue;
      }
      const testsPassed = check.runs.reduce((sum, run) => sum + (run.passed ?? 0), 0);
      const testsFailed = check.runs.reduce((sum, run) => sum + (run.failed ?? 0), 0);
      if (!check.passed) errors[proposal.model] = check.reason;
      candidates.push({
        model: proposal.model,
        status: 'proposed',
        sha: proposal.sha,
        passedCheck: check.passed,
        testsPassed,
        testsFailed,
        diffLines: proposal.diffLines,
        treeSha: proposal.treeSha,
        confidence: proposal.confidence,
      });
    }

    let judgeNote = '';
    if (input.strategy === 'best_reasoning' && input.judge && candidates.some((candidate) => candidate.passedCheck)) {
      try {
        const judging: JudgeInput = {
          councilId,
          subtaskId: input.subtaskId,
          projectId: input.projectId,
          spec: input.spec,
          phase: input.phase.name,
          repoPath: input.project.repoPath,
          startSha: input.startSha,
          judge: input.judge,
          candidates: candidates
            .filter((candidate) => candidate.sha)
            .map((candidate) => ({
              model: candidate.model,
              sha: candidate.sha!,
              summary: proposed.find((proposal) => proposal.model === candidate.model)!.summary,
              passedCheck: candidate.passedCheck,
              testsPassed: candidate.testsPassed,
              testsFailed: candidate.testsFailed,
              confidence: candidate.confidence,
            })),
        };
        const judged = patched(QUESTIONS_ON_MODEL_QUEUES)
          ? await judgeHere(council, input, judging)
          : await council.judgeCandidates(judging);
        for (const candidate of candidates) candidate.scores = judged.scores[candidate.model];
      } catch (error) {
        if (isCancellation(error)) throw error;
        judgeNote = ` (the judge ${input.judge.id} failed: ${failureMessage(error)})`;
      }
    }

    const decision = pickWinner(input.strategy, candidates, input.winRates);
    const winner = candidates.find((candidate) => candidate.model === decision.winner);
    let applied = false;
    if (winner?.sha) {
      // Once begun, the branch is moved to the winner completely or not at all.
      await CancellationScope.nonCancellable(() =>
        workspace.applyCandidate({ worktree: input.subtaskWorktree, startSha: input.startSha, sha: winner.sha! }),
      );
      applied = true;
      await audit('council.selected', `${winner.model} solution selected (${decision.reason})${judgeNote}`, {
        model: winner.model,
        sha: winner.sha,
        ranking: decision.ranking,
      });
    } else {
      await audit('council.failed', `Council found no candidate that passes: ${decision.reason}${judgeNote}`, {
        ranking: decision.ranking,
      });
    }
    const ordered = members.map((model) => candidates.find((candidate) => candidate.model === model)!);
    const record = await store.closeCouncil({
      sessionId,
      councilWorkflowId: councilId,
      problemType: input.problemType,
      candidates: ordered.map((candidate) => ({
        ...candidate,
        provider: input.members.find((member) => member.id === candidate.model)!.provider,
        summary: proposed.find((proposal) => proposal.model === candidate.model)?.summary,
        error: errors[candidate.model],
      })),
      winner: winner?.model,
      reason: `${decision.reason}${judgeNote}`,
      applied,
      at: Date.now(),
    });
    return {
      sessionId,
      winner: winner?.sha
        ? {
            model: winner.model,
            sha: winner.sha,
            criteria: proposed.find((proposal) => proposal.model === winner.model)?.criteria,
          }
        : undefined,
      reason: `${decision.reason}${judgeNote}`,
      candidates: ordered.map((candidate): CouncilCandidateSummary => ({
        model: candidate.model,
        status: candidate.status,
        sha: candidate.sha,
        passedCheck: candidate.passedCheck,
        testsPassed: candidate.testsPassed,
        testsFailed: candidate.testsFailed,
        diffLines: candidate.diffLines,
        error: errors[candidate.model],
      })),
      costUsd: record.costUsd,
    };
  } catch (error) {
    await CancellationScope.nonCancellable(() =>
      store.abandonCouncil({
        workflowId: councilId,
        reason: isCancellation(error) ? 'cancelled' : `the council failed: ${failureMessage(error)}`,
        at: Date.now(),
      }),
    );
    throw error;
  } finally {
    // Cancelled or done, the candidates' worktrees go (their commits stay under refs/maestro/council).
    await CancellationScope.nonCancellable(() =>
      workspace.removeCouncilWorktrees({ repoPath: input.project.repoPath, project: input.project.name, councilId }),
    );
  }
}

/** The judge asked from here: its question prepared on the council's queue, asked on the judge's, its answer read there. */
async function judgeHere(
  council: ReturnType<typeof proxyActivities<CouncilActivities>>,
  input: CouncilInput,
  judging: JudgeInput,
) {
  const question = await council.prepareJudging(judging);
  const answer = await askModelQuestion(input, question, 'judge');
  const { scores } = await council.readJudgeScores({
    text: answer.text,
    candidates: judging.candidates.map((candidate) => candidate.model),
  });
  return { scores, costUsd: answer.costUsd };
}

/** Each member's run is an agent-run workflow of its own (histories from before ran it as one activity). */
const COUNCIL_MEMBERS_AS_AGENT_RUNS = 'council-members-as-agent-runs';

function proposeInput(input: CouncilInput, councilId: string, model: ModelChoice): ProposeInput {
  return {
    councilId,
    subtaskWorkflowId: input.subtaskWorkflowId,
    subtaskId: input.subtaskId,
    projectId: input.projectId,
    project: input.project.name,
    repoPath: input.project.repoPath,
    spec: input.spec,
    phase: input.phase.name,
    role: input.role,
    goal: input.phase.goal,
    startSha: input.startSha,
    territory: input.territory,
    suites: input.project.suites,
    installCommand: input.project.installCommand,
    model,
    checklist: input.checklist,
    failure: input.failure,
    lastSha: input.lastSha,
    guidance: input.guidance,
    members: input.members.length,
    failedAttempts: input.failedAttempts,
    maxCostUsd: input.maxCostUsd,
  };
}

/**
 * A member's candidate as an agent's run: prepared (its worktree made, the dependencies installed)
 * on the council's queue, each model call on the member's queue, each tool call on the host's; then
 * kept under its ref. Its time is the member's time: a run that outlasts it times out.
 */
async function proposeAsAgentRun(
  council: ReturnType<typeof proxyActivities<CouncilActivities>>,
  input: CouncilInput,
  councilId: string,
  model: ModelChoice,
): Promise<Proposal> {
  const run = await executeChild(agentRunWorkflow, {
    workflowId: `${councilId}/member/${model.id}`,
    taskQueue: TASK_QUEUES.workflows,
    args: [
      {
        phase: {
          workflowId: input.subtaskWorkflowId,
          subtaskId: input.subtaskId,
          projectId: input.projectId,
          spec: input.spec,
          phase: input.phase.name,
          role: input.role,
          goal: input.phase.goal,
          attempt: input.failedAttempts + 1,
          worktree: '',
          startSha: input.startSha,
          territory: input.territory,
          suites: input.project.suites,
          model,
          checklist: input.checklist,
          context: { failure: input.failure, previousSha: input.lastSha, guidance: input.guidance },
          council: {
            councilId,
            repoPath: input.project.repoPath,
            project: input.project.name,
            installCommand: input.project.installCommand,
            members: input.members.length,
            failedAttempts: input.failedAttempts,
            maxCostUsd: input.maxCostUsd,
          },
        },
        roleQueue: TASK_QUEUES.council,
        limits: {
          heartbeatTimeoutMs: input.heartbeatTimeoutMs,
          checkTimeoutMs: input.checkTimeoutMs,
          agentTimeoutMs: input.memberTimeoutMs,
        },
      },
    ],
    workflowExecutionTimeout: input.memberTimeoutMs,
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const kept = await council.keepCouncilCandidate({
    repoPath: input.project.repoPath,
    project: input.project.name,
    councilId,
    model: model.id,
    startSha: input.startSha,
    sha: run.sha,
  });
  return { ...run, model: model.id, ...kept };
}
