import { TRPCError } from '@trpc/server';
import type { PrismaClient } from '../../data/prisma.js';

/**
 * The ids of the project and subtask a query names (a subtask key within its project): a name that
 * does not exist is NOT_FOUND, not an empty answer.
 */
export async function resolveScope(
  prisma: PrismaClient,
  names: { project?: string; subtask?: string },
): Promise<{ projectId?: string; subtaskId?: string }> {
  if (!names.project) return {};
  const project = await prisma.project.findUnique({ where: { name: names.project }, select: { id: true } });
  if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: `No project named ${names.project}.` });
  if (!names.subtask) return { projectId: project.id };
  const subtask = await prisma.subtask.findUnique({
    where: { projectId_key: { projectId: project.id, key: names.subtask } },
    select: { id: true },
  });
  if (!subtask) throw new TRPCError({ code: 'NOT_FOUND', message: `No subtask ${names.subtask} in ${names.project}.` });
  return { projectId: project.id, subtaskId: subtask.id };
}
