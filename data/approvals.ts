import type { PrismaClient } from './prisma.js';

export async function openApproval(
  prisma: PrismaClient,
  input: { id: string; subtaskId: string; gate: 'plan' | 'merge' },
): Promise<void> {
  await prisma.approval.upsert({
    where: { id: input.id },
    create: { id: input.id, subtaskId: input.subtaskId, gate: input.gate },
    update: {},
  });
}

export async function decideApproval(
  prisma: PrismaClient,
  input: {
    id: string;
    status: 'approved' | 'rejected' | 'withdrawn';
    decidedBy: string;
    comment?: string;
    returnToPhase?: string;
    at: number;
  },
): Promise<void> {
  await prisma.approval.update({
    where: { id: input.id },
    data: {
      status: input.status,
      decidedBy: input.decidedBy,
      comment: input.comment,
      returnToPhase: input.returnToPhase,
      decidedAt: new Date(input.at),
    },
  });
}

export async function openEscalation(
  prisma: PrismaClient,
  input: {
    id: string;
    subtaskId: string;
    phase: string;
    tier: number;
    reason: string;
    options: Array<{ id: string; label: string; detail?: string }>;
    recommendedOption: string;
  },
): Promise<void> {
  await prisma.escalation.upsert({ where: { id: input.id }, create: input, update: {} });
}

export async function resolveEscalation(
  prisma: PrismaClient,
  input: {
    id: string;
    status: 'resolved' | 'withdrawn';
    chosenOption?: string;
    resolvedBy?: string;
    comment?: string;
    at: number;
  },
): Promise<void> {
  await prisma.escalation.update({
    where: { id: input.id },
    data: {
      status: input.status,
      chosenOption: input.chosenOption,
      resolvedBy: input.resolvedBy,
      comment: input.comment,
      resolvedAt: new Date(input.at),
    },
  });
}

/** Nobody answered yet: counted, so the console and the audit log can show the reminder. */
export async function remindEscalation(prisma: PrismaClient, input: { id: string; at: number }): Promise<void> {
  await prisma.escalation.update({
    where: { id: input.id },
    data: { reminders: { increment: 1 }, remindedAt: new Date(input.at) },
  });
}
