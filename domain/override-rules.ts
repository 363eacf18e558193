/**
 * Whether a person's message can be applied to a subtask now, and if not, why — in words for the
 * person who asked. The subtask workflow's update validators ask these before accepting anything.
 * Workflow code imports this file.
 */
import { isFinal, type SubtaskStatus } from './lifecycle.js';
import { type PhaseDefinition, type PhaseName, type PhasePlan, notRunProblem } from './phases.js';

export const OVERRIDE_ACTIONS = [
  'skip',
  'force_complete',
  'reset',
  'reassign',
  'pause',
  'resume',
  'cancel',
  'retry',
] as const;
export type OverrideAction = (typeof OVERRIDE_ACTIONS)[number];

/** The overrides that stop the running step (the others change settings and let it run). */
export const INTERRUPTING: readonly OverrideAction[] = ['skip', 'reset', 'force_complete', 'cancel', 'retry'];

/** What of a subtask's state the rules read. */
export interface OverrideContext {
  status: SubtaskStatus;
  paused: boolean;
  phase: PhaseName | null;
  /** The baseline was measured: the phases can run. */
  started: boolean;
  blocked?: { reason: string; options: readonly string[] };
}

export interface OverrideRequest {
  action: OverrideAction;
  /** For reset: the phase to go back to. */
  phase?: PhaseName;
  /** For retry: another model, by registry id. */
  model?: string;
}

/**
 * Why an override cannot be applied now, or undefined when it can. `pending` is the kind of an
 * interrupting override given earlier and not applied yet; `models` are the registry's ids; `plan`
 * says why a phase of the definition does not run for this subtask.
 */
export function overrideProblem(
  override: OverrideRequest,
  subtask: OverrideContext,
  phases: readonly PhaseDefinition[],
  pending: OverrideAction | undefined,
  models: readonly string[],
  plan?: PhasePlan,
): string | undefined {
  return stateProblem(override, subtask, phases, pending, plan) ?? modelProblem(override, models);
}

function stateProblem(
  override: OverrideRequest,
  subtask: OverrideContext,
  phases: readonly PhaseDefinition[],
  pending: OverrideAction | undefined,
  plan: PhasePlan | undefined,
): string | undefined {
  const action = override.action;
  if (isFinal(subtask.status)) return `the subtask is ${subtask.status}; nothing can be changed any more`;
  if (INTERRUPTING.includes(action)) {
    if (pending === 'cancel') return 'the subtask is being cancelled';
    if (pending && action !== 'cancel')
      return `an earlier ${pending.replace('_', ' ')} is still being applied: try again in a moment`;
    const offered = subtask.blocked?.options ?? [];
    const answers =
      action === 'retry' ? offered.includes('retry') || offered.includes('retry_with_model') : offered.includes(action);
    if (subtask.blocked && action !== 'cancel' && action !== 'force_complete' && !answers) {
      return `the subtask is blocked (${subtask.blocked.reason}): answer with ${subtask.blocked.options.join(', ')}`;
    }
  }
  switch (action) {
    case 'pause':
      return subtask.paused ? 'the subtask is paused already' : undefined;
    case 'resume':
      return subtask.paused ? undefined : 'the subtask is not paused';
    case 'retry':
      return subtask.status === 'blocked'
        ? undefined
        : `retry answers a blocked subtask; this one is ${subtask.status}`;
    case 'force_complete':
      return subtask.started
        ? undefined
        : 'the subtask is still preparing its workspace: cancel it, or force it once its phases run';
    case 'skip':
      if (!subtask.phase) return 'no phase is running yet';
      return subtask.phase === 'complete'
        ? 'the complete phase cannot be skipped: use force_complete or cancel'
        : undefined;
    case 'reset': {
      const target = override.phase;
      const targetIndex = phases.findIndex((phase) => phase.name === target);
      const currentIndex = phases.findIndex((phase) => phase.name === subtask.phase);
      if (targetIndex < 0) {
        const notRun = target ? notRunProblem(plan, target) : undefined;
        return notRun
          ? `${notRun}; reset to one of ${workPhases(phases).join(', ')}`
          : `${target} is not a phase of this subtask`;
      }
      if (phases[targetIndex]!.check === 'merge') return 'reset to a work phase, not to complete';
      if (currentIndex < 0 || !subtask.started) return 'no phase has started yet';
      if (targetIndex > currentIndex) return `reset goes back, not forward: the subtask is in ${subtask.phase}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

function modelProblem(override: OverrideRequest, models: readonly string[]): string | undefined {
  if (override.action !== 'retry' || !override.model || models.includes(override.model)) return undefined;
  return `${override.model} is not in the model registry; the models are ${models.join(', ')}`;
}

/** What waits for a decision: the gate a person is asked about, when one is open and undecided. */
export interface GateContext {
  status: SubtaskStatus;
  phase: PhaseName | null;
  gate?: 'plan' | 'merge';
  /** A decision was taken and is not applied yet. */
  decided: boolean;
}

/** Why an approval or a rejection cannot be taken now (nothing waits for one). */
export function nothingToDecide(subtask: GateContext): string | undefined {
  if (subtask.gate && !subtask.decided) return undefined;
  return `nothing waits for approval: the subtask is ${subtask.status}${subtask.phase ? ` in ${subtask.phase}` : ''}`;
}

/**
 * Why a rejection cannot send the work back to `returnTo`: a phase that does not run for this
 * subtask (`plan` says why), not a work phase, or a plan sent past its start.
 */
export function returnToProblem(
  gate: 'plan' | 'merge',
  returnTo: PhaseName,
  phases: readonly PhaseDefinition[],
  plan?: PhasePlan,
): string | undefined {
  const target = phases.find((phase) => phase.name === returnTo);
  const work = workPhases(phases);
  const notRun = target ? undefined : notRunProblem(plan, returnTo);
  if (notRun) return `${notRun}; return to one of ${gate === 'plan' ? work[0] : work.join(', ')}`;
  if (!target || target.check === 'merge')
    return `${returnTo} is not a phase to return to: name one of ${work.join(', ')}`;
  if (gate === 'plan' && returnTo !== work[0])
    return `nothing has been done yet: a rejected plan starts again at ${work[0]}, with your comment`;
  return undefined;
}

/** The phases an agent works in (all but the merge). */
export function workPhases(phases: readonly PhaseDefinition[]): PhaseName[] {
  return phases.filter((phase) => phase.check !== 'merge').map((phase) => phase.name);
}
