import type { PrismaClient } from './prisma.js';

export interface CircuitSettings {
  failureThreshold: number;
  cooldownMs: number;
}

/**
 * A provider's circuit: closed while its calls succeed; open for the cool-down after `failureThreshold`
 * failures in a row (its work goes to the fallback models); then one call may try it again, and a
 * failure opens it at once again while a success closes it.
 */
export async function recordProviderOutcome(
  prisma: PrismaClient,
  provider: string,
  outcome: { ok: true } | { ok: false; error: string },
  settings: CircuitSettings,
  now = new Date(),
): Promise<{ opened: boolean; until?: Date; failures: number }> {
  if (outcome.ok) {
    await prisma.providerCircuit.upsert({
      where: { provider },
      create: { provider, consecutiveFailures: 0 },
      update: { consecutiveFailures: 0, openUntil: null },
    });
    return { opened: false, failures: 0 };
  }
  return prisma.$transaction(async (tx) => {
    const row = await tx.providerCircuit.upsert({
      where: { provider },
      create: { provider, consecutiveFailures: 1, lastError: outcome.error.slice(0, 500), lastFailureAt: now },
      update: { consecutiveFailures: { increment: 1 }, lastError: outcome.error.slice(0, 500), lastFailureAt: now },
    });
    const alreadyOpen = row.openUntil !== null && row.openUntil > now;
    if (row.consecutiveFailures < settings.failureThreshold || alreadyOpen)
      return { opened: false, failures: row.consecutiveFailures };
    const until = new Date(now.getTime() + settings.cooldownMs);
    await tx.providerCircuit.update({ where: { provider }, data: { openUntil: until, openedAt: now } });
    return { opened: true, until, failures: row.consecutiveFailures };
  });
}

/** Providers whose circuit is open now, with when it closes. */
export async function openCircuits(prisma: PrismaClient, now = new Date()): Promise<Record<string, string>> {
  const rows = await prisma.providerCircuit.findMany({
    where: { openUntil: { gt: now } },
    select: { provider: true, openUntil: true },
  });
  return Object.fromEntries(rows.map((row) => [row.provider, row.openUntil!.toISOString()]));
}

/** A call went through: the provider's circuit is closed again (a write only when it had failures). */
export async function closeCircuit(prisma: PrismaClient, provider: string): Promise<void> {
  await prisma.providerCircuit.updateMany({
    where: { provider, consecutiveFailures: { gt: 0 } },
    data: { consecutiveFailures: 0, openUntil: null },
  });
}

/** The audit log's line for a circuit that opened, on the subtask whose call tripped it. */
export async function recordCircuitOpened(
  prisma: PrismaClient,
  at: { provider: string; model: string; projectId?: string; subtaskId?: string; workflowId?: string },
  failures: number,
  until: Date,
  lastError: string,
): Promise<void> {
  await prisma.activityEvent.createMany({
    data: [
      {
        projectId: at.projectId,
        subtaskId: at.subtaskId,
        workflowId: at.workflowId,
        actor: 'system',
        kind: 'provider.circuit_open',
        message: `${at.provider} failed ${failures} calls in a row (last: ${lastError}): skipped until ${until.toISOString()}; its work goes to the fallback models`,
        data: { provider: at.provider, model: at.model, until: until.toISOString(), failures },
        idempotencyKey: `circuit/${at.provider}/${until.toISOString()}`,
      },
    ],
    skipDuplicates: true,
  });
}
