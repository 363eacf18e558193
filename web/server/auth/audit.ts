import type { Prisma, PrismaClient } from '../../../data/prisma.js';

/** People and tokens changing goes to the audit log like every other act: who, what, to whom. */
export async function auditPeople(
  prisma: PrismaClient | Prisma.TransactionClient,
  actor: string,
  kind: string,
  message: string,
  data: Record<string, string | number>,
): Promise<void> {
  await prisma.activityEvent.create({ data: { actor, kind, message, data } });
}
