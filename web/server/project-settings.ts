import type { Prisma } from '../../data/prisma.js';
import type { Context } from './trpc.js';

/** The audit event a settings change writes, in the same transaction. */
export interface SettingsChangeEvent {
  actor: string;
  kind: string;
  message: string;
  data: unknown;
}

/**
 * Changes one key of a project's settings under the project's row lock, with its audit event: two
 * changes at once (a budget and a sandbox, say) never lose one. `change` sees the stored settings,
 * works out the key's new value (or throws to refuse) and what the caller answers.
 */
export function changeProjectSetting<Result>(
  ctx: Context,
  projectId: string,
  key: string,
  change: (stored: unknown) => { value: unknown; event: SettingsChangeEvent; result: Result },
): Promise<Result> {
  return ctx.prisma.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<
      Array<{ settings: unknown }>
    >`SELECT settings FROM "Project" WHERE id = ${projectId}::uuid FOR UPDATE`;
    const { value, event, result } = change(locked?.settings);
    const settings = { ...((locked?.settings as Record<string, unknown> | null) ?? {}), [key]: value };
    await tx.project.update({
      where: { id: projectId },
      data: { settings: settings as unknown as Prisma.InputJsonValue },
    });
    await tx.activityEvent.create({
      data: { projectId, ...event, data: event.data as Prisma.InputJsonValue },
    });
    return result;
  });
}
