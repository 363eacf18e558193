import { z } from 'zod';
import type { Prisma, PrismaClient } from '../../data/prisma.js';
import { workPhases } from '../../domain/override-rules.js';
import { DEFAULT_PHASES, type PhaseName, type PhasePlan, planPhases } from '../../domain/phases.js';

/** A subtask that ended has nothing left to approve or answer, whatever its old rows say. */
const OPEN_SUBTASK = { status: { notIn: ['completed', 'cancelled'] } } satisfies Prisma.SubtaskWhereInput;

const subtaskSelect = {
  id: true,
  key: true,
  title: true,
  risk: true,
  status: true,
  phase: true,
  workflowId: true,
  project: { select: { name: true, integrationTestCommand: true } },
} satisfies Prisma.SubtaskSelect;

type SubtaskRow = Prisma.SubtaskGetPayload<{ select: typeof subtaskSelect }>;

function subtaskOf(row: SubtaskRow) {
  return {
    id: row.id,
    key: row.key,
    title: row.title,
    risk: row.risk,
    status: row.status,
    phase: row.phase,
    workflowId: row.workflowId,
  };
}

export interface InboxFilter {
  project?: string;
  limit: number;
}

const inProject = (project: string | undefined): Prisma.SubtaskWhereInput => ({
  ...OPEN_SUBTASK,
  ...(project ? { project: { name: project } } : {}),
});

/** Who started each subtask (the person answerable for it), from the audit log. */
async function startedBy(prisma: PrismaClient, subtaskIds: string[]): Promise<Map<string, string>> {
  if (subtaskIds.length === 0) return new Map();
  const rows = await prisma.activityEvent.findMany({
    where: { subtaskId: { in: subtaskIds }, kind: 'subtask.started' },
    select: { subtaskId: true, actor: true },
  });
  return new Map(rows.map((row) => [row.subtaskId!, row.actor]));
}

/** The phase plan a subtask's workflow answers with, or undefined when it cannot be asked. */
export type PhasePlanOf = (workflowId: string) => Promise<PhasePlan | undefined>;

/**
 * The work phases a rejection may send the subtask back to: the ones its own plan runs (the workflow
 * refuses any other); without the plan, the default phases the project's suites allow.
 */
function returnToOptions(gate: 'plan' | 'merge', integration: boolean, plan: PhasePlan | undefined): PhaseName[] {
  const work = plan
    ? plan.runs.filter((name) => DEFAULT_PHASES.find((phase) => phase.name === name)?.check !== 'merge')
    : workPhases(planPhases(DEFAULT_PHASES, integration ? ['unit', 'integration'] : ['unit']).phases);
  return gate === 'plan' ? work.slice(0, 1) : work;
}

/** Gates waiting for a person, oldest first. */
export async function pendingApprovals(
  prisma: PrismaClient,
  filter: InboxFilter,
  now = Date.now(),
  phasePlanOf: PhasePlanOf = async () => undefined,
) {
  const rows = await prisma.approval.findMany({
    where: { status: 'pending', subtask: inProject(filter.project) },
    orderBy: { requestedAt: 'asc' },
    take: filter.limit,
    select: { id: true, gate: true, requestedAt: true, subtask: { select: subtaskSelect } },
  });
  const starters = await startedBy(
    prisma,
    rows.map((row) => row.subtask.id),
  );
  const plans = await Promise.all(
    rows.map((row) => phasePlanOf(row.subtask.workflowId).catch((): PhasePlan | undefined => undefined)),
  );
  return rows.map((row, at) => ({
    id: row.id,
    /** `plan`: before any agent acts (high risk); `merge`: before the branch is merged. */
    gate: row.gate as 'plan' | 'merge',
    project: row.subtask.project.name,
    subtask: subtaskOf(row.subtask),
    requestedAt: row.requestedAt.toISOString(),
    waitingMs: Math.max(0, now - row.requestedAt.getTime()),
    /** The workflow asks; the person who started the subtask is answerable for it. */
    requestedBy: 'orchestrator',
    startedBy: starters.get(row.subtask.id) ?? null,
    /** The phases a rejection may send it back to: the work phases it runs (a rejected plan: the first). */
    returnTo: returnToOptions(
      row.gate as 'plan' | 'merge',
      Boolean(row.subtask.project.integrationTestCommand),
      plans[at],
    ),
  }));
}

const EscalationOption = z.object({ id: z.string(), label: z.string(), detail: z.string().optional() });

/** Escalations nobody answered yet, oldest first, with what they offer (the recommended option first). */
export async function openEscalations(prisma: PrismaClient, filter: InboxFilter, now = Date.now()) {
  const rows = await prisma.escalation.findMany({
    where: { status: 'open', subtask: inProject(filter.project) },
    orderBy: { createdAt: 'asc' },
    take: filter.limit,
    select: {
      id: true,
      phase: true,
      tier: true,
      reason: true,
      options: true,
      recommendedOption: true,
      reminders: true,
      remindedAt: true,
      createdAt: true,
      subtask: { select: subtaskSelect },
    },
  });
  const starters = await startedBy(
    prisma,
    rows.map((row) => row.subtask.id),
  );
  return rows.map((row) => {
    const parsed = z.array(EscalationOption).safeParse(row.options);
    const options = (parsed.success ? parsed.data : []).map((option) => ({
      id: option.id,
      label: option.label,
      detail: option.detail ?? null,
      recommended: option.id === row.recommendedOption,
    }));
    return {
      id: row.id,
      project: row.subtask.project.name,
      subtask: subtaskOf(row.subtask),
      phase: row.phase,
      tier: row.tier,
      reason: row.reason,
      options,
      recommendedOption: row.recommendedOption,
      reminders: row.reminders,
      remindedAt: row.remindedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      waitingMs: Math.max(0, now - row.createdAt.getTime()),
      startedBy: starters.get(row.subtask.id) ?? null,
    };
  });
}

/** How much waits for a person: for badges and the CLI. */
export async function inboxCounts(prisma: PrismaClient, project?: string) {
  const [approvals, escalations] = await Promise.all([
    prisma.approval.count({ where: { status: 'pending', subtask: inProject(project) } }),
    prisma.escalation.count({ where: { status: 'open', subtask: inProject(project) } }),
  ]);
  return { approvals, escalations };
}
