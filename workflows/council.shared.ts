/** The council workflow's contract: started by a subtask workflow as its child, at the ladder's third tier. */
import type { Candidate, CouncilStrategy } from '../domain/escalation.js';
import type { ChecklistItem } from '../domain/checklist.js';
import type { ModelChoice } from '../domain/models.js';
import type { PhaseDefinition } from '../domain/phases.js';
import type { SuiteConfig } from '../domain/project.js';
import type { SubtaskSpecSnapshot } from './subtask/subtask.shared.js';

export const COUNCIL_WORKFLOW = 'councilWorkflow';

export interface CouncilInput {
  subtaskWorkflowId: string;
  subtaskId: string;
  projectId: string;
  project: { name: string; repoPath: string; suites: SuiteConfig[]; installCommand?: string };
  /** Which council of the subtask this is (1, 2, ...): keeps its check logs apart from earlier ones'. */
  round: number;
  spec: SubtaskSpecSnapshot;
  phase: PhaseDefinition;
  role: 'tester' | 'developer';
  territory: string[];
  /** Where the phase started, and the subtask's worktree the winner is applied to. */
  startSha: string;
  subtaskWorktree: string;
  baselineFile: string;
  checklist: ChecklistItem[];
  failure: { reason: string; failingTests: string[]; outputTail: string };
  lastSha?: string;
  guidance?: string;
  failedAttempts: number;
  problemType: string;
  members: ModelChoice[];
  judge?: ModelChoice;
  strategy: CouncilStrategy;
  memberTimeoutMs: number;
  maxCostUsd: number;
  /** Each model's historical win rate for this problem type (the weighted strategy). */
  winRates: Record<string, number>;
  heartbeatTimeoutMs: number;
  checkTimeoutMs: number;
}

/** A candidate as the council reports it to the subtask: the judge's view of it, and why it failed. */
export type CouncilCandidateSummary = Pick<
  Candidate,
  'model' | 'status' | 'sha' | 'passedCheck' | 'testsPassed' | 'testsFailed' | 'diffLines'
> & { error?: string };

export interface CouncilOutcome {
  sessionId: string;
  winner?: { model: string; sha: string; criteria?: Array<{ index: number; met: boolean; note?: string }> };
  reason: string;
  candidates: CouncilCandidateSummary[];
  costUsd: string;
}
