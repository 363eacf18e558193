import type { Context } from '@temporalio/activity';
import { generateText } from 'ai';
import { type ModelChoice, promptBudgetOf } from '../../domain/models.js';
import { formatUsdExact, parseUsd } from '../../domain/money.js';
import type { LoadedConfig } from '../../runtime/config.js';
import type { ModelCallMeta } from '../models/gateway.js';
import { createMeteredModel } from '../models/metered-model.js';
import { temporalTransport } from '../models/model-transport.js';
import { estimateTokens } from '../models/tokens.js';
import type { PrismaClient } from '../../data/prisma.js';

/**
 * One question to a model, one answer, through its gateway and into the ledger: a strategic review,
 * a judge's scores. The prompt is cut at the model's budget, keeping its head (the header and the
 * question) and its tail.
 */
export async function askModel(
  { config, prisma }: { config: LoadedConfig; prisma: PrismaClient },
  context: Context,
  input: { choice: ModelChoice; system: string; prompt: string; meta: ModelCallMeta },
): Promise<{ text: string; costUsd: string; calls: number }> {
  const callIds: string[] = [];
  const { model } = createMeteredModel({
    choice: input.choice,
    transport: temporalTransport(context.client, (id) => callIds.push(id)),
    meta: input.meta,
    timeoutMs: config.models.callTimeoutMs,
  });
  const heartbeat = setInterval(() => context.heartbeat(), 1_000);
  try {
    const budgetChars = (promptBudgetOf(input.choice) - estimateTokens(input.system)) * 3;
    const prompt =
      input.prompt.length > budgetChars
        ? `${input.prompt.slice(0, budgetChars / 2)}\n[… cut to fit the prompt budget …]\n${input.prompt.slice(-budgetChars / 2)}`
        : input.prompt;
    const result = await generateText({
      model,
      system: input.system,
      prompt,
      abortSignal: context.cancellationSignal,
      maxRetries: 2,
      maxOutputTokens: input.choice.maxOutputTokens,
    });
    const sum = await prisma.modelCall.aggregate({
      where: { idempotencyKey: { in: callIds.map((id) => `gateway/${id}`) }, outcome: 'ok' },
      _sum: { costUsd: true },
      _count: { _all: true },
    });
    return {
      text: result.text,
      costUsd: formatUsdExact(sum._sum.costUsd ? parseUsd(sum._sum.costUsd.toFixed(12)) : 0n),
      calls: sum._count._all,
    };
  } finally {
    clearInterval(heartbeat);
  }
}
