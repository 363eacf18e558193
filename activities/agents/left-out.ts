import type { Context } from '@temporalio/activity';
import { type SuiteConfig, reportPaths } from '../../domain/project.js';
import { revertPaths, worktreeChanges } from '../../git/git.js';
import { territoryMatcher } from '../../git/territory.js';
import { type CommitSelection, describePaths, selectForCommit } from '../../git/commit-selection.js';
import type { PrismaClient } from '../../data/prisma.js';
import { recordProgress } from '../../data/progress.js';
import type { AgentRunInput } from './agent-run.js';

/** Paths an audit entry lists one by one; more are counted. */
const LISTED_PATHS = 200;

export interface LeftOutFiles {
  leftOut: CommitSelection['leftOut'];
  /** Changed outside the role's territory: reverted. */
  outside: string[];
  /** Test reports, and files a command wrote rather than the agent. */
  generated: string[];
}

/**
 * Puts back whatever the agent's commit must not hold: only what the agent wrote through its tools,
 * in its territory, is committed, and never a test report; whatever else changed (a test run's
 * reports, coverage, caches) is put back as it is at HEAD.
 */
export async function leaveOutOfCommit(
  worktree: string,
  rules: { written: ReadonlySet<string>; territory: readonly string[]; suites: readonly SuiteConfig[] },
): Promise<LeftOutFiles> {
  const { leftOut } = selectForCommit(await worktreeChanges(worktree), {
    written: rules.written,
    inTerritory: territoryMatcher(rules.territory),
    reports: reportPaths(rules.suites),
  });
  await revertPaths(worktree, leftOut);
  return {
    leftOut,
    outside: leftOut.filter((change) => change.reason === 'outside_territory').map((change) => change.path),
    generated: leftOut.filter((change) => change.reason !== 'outside_territory').map((change) => change.path),
  };
}

/** The files a commit left out, in the activity log: which, and why (a test report, or a command wrote it). */
export async function recordLeftOut(
  prisma: PrismaClient,
  context: Context,
  input: Pick<AgentRunInput, 'subtaskId' | 'projectId' | 'ledger' | 'role' | 'phase' | 'attempt'>,
  sha: string,
  leftOut: CommitSelection['leftOut'],
): Promise<void> {
  const reports = leftOut.filter((change) => change.reason === 'report').map((change) => change.path);
  const notWritten = leftOut.filter((change) => change.reason === 'not_written').map((change) => change.path);
  const info = context.info;
  const reasons = [
    reports.length > 0 ? `${describePaths(reports)} (test report${reports.length === 1 ? '' : 's'})` : '',
    notWritten.length > 0 ? `${describePaths(notWritten)} (written by a command, not by the agent)` : '',
  ].filter(Boolean);
  await recordProgress(prisma, {
    subtaskId: input.subtaskId,
    projectId: input.projectId,
    workflowId: input.ledger.workflowId,
    // One entry per scheduled run: a retried activity does not log its files twice.
    key: `${input.ledger.workflowId}/${info.workflowExecution?.runId ?? '-'}/${info.activityId}/left-out`,
    at: Date.now(),
    events: [
      {
        actor: input.role,
        kind: 'commit.left_out',
        message: `left out of the ${input.phase} commit ${sha.slice(0, 8)}: ${reasons.join('; ')}`,
        data: {
          phase: input.phase,
          attempt: input.attempt,
          sha,
          reports: reports.slice(0, LISTED_PATHS),
          notWritten: notWritten.slice(0, LISTED_PATHS),
          count: reports.length + notWritten.length,
        },
      },
    ],
  });
}
