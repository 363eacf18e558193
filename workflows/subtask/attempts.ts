import type { AuditEvent } from '../../domain/audit.js';
import type { AgentPhaseResult } from '../../activities/subtask/agent-phase.js';
import type { CheckResult } from '../../activities/subtask/checks.js';
import { checklistProgress, markPhase, passPhase } from '../../domain/checklist.js';
import type { PhaseDefinition, PhaseName } from '../../domain/phases.js';
import type { FailureSummary } from './subtask.shared.js';
import type { Interrupt } from './interrupts.js';
import type { SubtaskRun } from './run.js';

/** How a phase ended, for the main sequence. */
export type PhaseEnd =
  | { outcome: 'passed' | 'skipped'; sha?: string }
  | { outcome: 'reset'; phase: PhaseName }
  | { outcome: 'complete_now'; actor: string; reason: string }
  | { outcome: 'cancelled' };

/**
 * One phase's attempts: where its agents start, what the next attempt is told, what the ladder has
 * tried. The phase runner and the ladder move it on; an interrupt is resolved against it.
 */
export class PhaseAttempts {
  attempt = 0;
  /** Tier 1 retries until `limit`; the strategic review raises it. */
  limit: number;
  providerTrouble = 0;
  reviewed = false;
  councilTried = false;
  guidance: string | undefined;
  hint: string | undefined;
  failure: FailureSummary | undefined;
  readonly failures: FailureSummary[] = [];
  readonly triedModels = new Set<string>();
  readonly role: 'tester' | 'developer';

  constructor(
    readonly run: SubtaskRun,
    readonly phase: PhaseDefinition,
    readonly startSha: string,
    readonly reviewerComment: string | undefined,
  ) {
    this.limit = run.settings.maxAttempts;
    this.role = phase.role === 'orchestrator' ? 'developer' : phase.role;
  }

  /** What an agent working on this phase is told about its task: whose, which phase, its goal, where it starts. */
  task() {
    const { run, phase } = this;
    return {
      workflowId: run.workflowId,
      subtaskId: run.input.subtaskId,
      projectId: run.project.id,
      spec: run.spec,
      phase: phase.name,
      role: this.role,
      goal: phase.goal,
      worktree: run.state.worktree!,
      startSha: this.startSha,
    };
  }

  /**
   * The one place an interrupt meets a running phase: it ends the phase (returned), starts its
   * attempts again (`retry`, with the person's hint), or runs the interrupted attempt again (a skip
   * meant for a phase that had already ended). After a person's answer at the top of the ladder
   * (`restart`), any going on starts the ladder again from tier 1.
   */
  async resolve(answer: Interrupt, restart = false): Promise<PhaseEnd | undefined> {
    const end = await this.apply(answer);
    if (typeof end === 'object') return end;
    if (restart) {
      this.attempt = 0;
      this.limit = this.run.settings.maxAttempts;
      this.run.state.escalationTier = 1;
    } else if (end === 'retry') this.attempt = 0;
    else this.attempt -= 1;
    return undefined;
  }

  private async apply(answer: Interrupt): Promise<PhaseEnd | 'retry' | 'redo'> {
    const { run } = this;
    const { state } = run;
    const phaseName = this.phase.name;
    switch (answer.kind) {
      case 'cancel':
        run.interrupts.keep(answer);
        return { outcome: 'cancelled' };
      case 'skip':
        if (answer.during !== phaseName) {
          await run.audit.record([
            {
              actor: 'orchestrator',
              kind: 'override.ignored',
              message: `the skip of ${answer.during ?? 'nothing'} came after that phase ended; ${phaseName} goes on`,
              data: { ...answer },
            },
          ]);
          return 'redo';
        }
        state.skipped.push(phaseName);
        state.checklist = markPhase(state.checklist, phaseName, true, `skipped by ${answer.actor}: ${answer.reason}`);
        state.progress = checklistProgress(state.checklist);
        if (state.status !== 'in_progress')
          await run.transition('in_progress', `${phaseName} skipped by ${answer.actor}`);
        return { outcome: 'skipped' };
      case 'reset':
        if (state.status !== 'in_progress')
          await run.transition('in_progress', `reset to ${answer.phase} by ${answer.actor}`);
        return { outcome: 'reset', phase: answer.phase };
      case 'force_complete':
        return { outcome: 'complete_now', actor: answer.actor, reason: answer.reason };
      case 'retry':
        this.hint = answer.hint;
        if (answer.model) {
          run.chosenModel = answer.model;
          await run.audit.record([
            {
              actor: answer.actor,
              kind: 'routing.chosen',
              message: `${phaseName} goes on with ${answer.model}, chosen by ${answer.actor}`,
              data: { phase: phaseName, model: answer.model },
            },
          ]);
        }
        return 'retry';
    }
  }
}

/** A phase's check passed on this commit: the phase is done, its evidence kept. */
export async function recordPass(
  run: SubtaskRun,
  phase: PhaseDefinition,
  attempt: number,
  sha: string,
  check: CheckResult,
  criteria?: AgentPhaseResult['criteria'],
  /** Written with the next write or model-context read, in one transaction (the next phase's first). */
  deferred = false,
): Promise<void> {
  const { state } = run;
  state.shas[phase.name] = sha;
  state.checklist = passPhase(state.checklist, phase.name, criteria);
  state.progress = checklistProgress(state.checklist);
  state.escalationTier = undefined;
  if (phase.name === 'red') {
    state.redEvidence = {
      sha,
      logFiles: check.runs.map((run) => run.logFile),
      newFailingTests: check.newFailingTests,
      reason: check.reason,
    };
  }
  const events: AuditEvent[] = [
    {
      actor: 'runner',
      kind: phase.check === 'new_tests_fail' ? 'check.red_evidence' : 'check.passed',
      message: `${phase.name} check passed: ${check.reason}`,
      data: {
        phase: phase.name,
        attempt,
        sha,
        runs: check.runs,
        newFailingTests: check.newFailingTests,
        progress: state.progress,
      },
    },
  ];
  if (deferred) run.audit.defer(events);
  else await run.audit.record(events);
}
