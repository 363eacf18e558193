import type { PhaseDefinition, PhaseName } from './phases.js';

export interface ChecklistItem {
  id: string;
  label: string;
  kind: 'phase' | 'criterion';
  done: boolean;
  /** Why an item is done without its work (a skipped phase), or a reviewer's note on a criterion. */
  note?: string;
}

/** One item per phase, then one per acceptance criterion. */
export function buildChecklist(
  phases: readonly PhaseDefinition[],
  acceptanceCriteria: readonly string[],
): ChecklistItem[] {
  return [
    ...phases.map((phase) => ({ id: `phase:${phase.name}`, label: phase.goal, kind: 'phase' as const, done: false })),
    ...acceptanceCriteria.map((criterion, index) => ({
      id: `criterion:${index + 1}`,
      label: criterion,
      kind: 'criterion' as const,
      done: false,
    })),
  ];
}

export function markPhase(checklist: ChecklistItem[], phase: PhaseName, done: boolean, note?: string): ChecklistItem[] {
  return checklist.map((item) => (item.id === `phase:${phase}` ? { ...item, done, note } : item));
}

export function markCriterion(
  checklist: ChecklistItem[],
  index: number,
  done: boolean,
  note?: string,
): ChecklistItem[] {
  return checklist.map((item) => (item.id === `criterion:${index}` ? { ...item, done, note } : item));
}

/** Progress as people read it: `3/9`. */
export function checklistProgress(checklist: readonly ChecklistItem[]): string {
  return `${checklist.filter((item) => item.done).length}/${checklist.length}`;
}

/** A phase's check passed: the phase is done, and each acceptance criterion the agent reviewed is met or not, with its note. */
export function passPhase(
  checklist: ChecklistItem[],
  phase: PhaseName,
  criteria: ReadonlyArray<{ index: number; met: boolean; note?: string }> = [],
): ChecklistItem[] {
  let next = markPhase(checklist, phase, true);
  for (const criterion of criteria) next = markCriterion(next, criterion.index, criterion.met, criterion.note);
  return next;
}

/** Back to an earlier phase: it and every phase after it are to be done again. */
export function reopenFrom(
  checklist: ChecklistItem[],
  phases: readonly PhaseDefinition[],
  target: PhaseName,
): ChecklistItem[] {
  const from = phases.findIndex((phase) => phase.name === target);
  return phases.slice(from).reduce((next, later) => markPhase(next, later.name, false), checklist);
}
