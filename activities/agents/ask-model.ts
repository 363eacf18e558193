import type { Context } from '@temporalio/activity';
import { generateText } from 'ai';
import { type ModelChoice, promptBudgetOf } from '../../domain/models.js';
import { formatUsdExact, parseUsd } from '../../domain/money.js';
import type { LoadedConfig } from '../../runtime/config.js';
import type { ModelCallMeta } from '../models/gateway.js';
import { createMeteredModel } from '../models/metered-model.js';
import { type ModelTransport, temporalTransport } from '../models/model-transport.js';
import { estimateTokens } from '../models/tokens.js';
import type { PrismaClient } from '../../data/prisma.js';

/** One question to a model: a strategic review, a judge's scores. */
export interface Question {
  choice: ModelChoice;
  system: string;
  prompt: string;
  meta: ModelCallMeta;
}

/**
 * The question sent through a transport, and the model's answer. The prompt is cut at the model's
 * budget, keeping its head (the header and the question) and its tail.
 */
export async function askThrough(
  transport: ModelTransport,
  question: Question,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string> {
  const { model } = createMeteredModel({ choice: question.choice, transport, meta: question.meta, timeoutMs });
  const budgetChars = (promptBudgetOf(question.choice) - estimateTokens(question.system)) * 3;
  const prompt =
    question.prompt.length > budgetChars
      ? `${question.prompt.slice(0, budgetChars / 2)}\n[… cut to fit the prompt budget …]\n${question.prompt.slice(-budgetChars / 2)}`
      : question.prompt;
  const result = await generateText({
    model,
    system: question.system,
    prompt,
    abortSignal: signal,
    maxRetries: 2,
    maxOutputTokens: question.choice.maxOutputTokens,
  });
  return result.text;
}

/**
 * A question asked from inside an activity, through the model's gateway (a model-call workflow per
 * HTTP call) and into the ledger: how histories recorded before the subtask and council workflows
 * asked their questions themselves (`askModelStep` on the model's queue) ran.
 */
export async function askModel(
  { config, prisma }: { config: LoadedConfig; prisma: PrismaClient },
  context: Context,
  input: Question,
): Promise<{ text: string; costUsd: string; calls: number }> {
  const callIds: string[] = [];
  const heartbeat = setInterval(() => context.heartbeat(), 1_000);
  try {
    const text = await askThrough(
      temporalTransport(context.client, (id) => callIds.push(id)),
      input,
      config.models.callTimeoutMs,
      context.cancellationSignal,
    );
    const sum = await prisma.modelCall.aggregate({
      where: { idempotencyKey: { in: callIds.map((id) => `gateway/${id}`) }, outcome: 'ok' },
      _sum: { costUsd: true },
      _count: { _all: true },
    });
    return {
      text,
      costUsd: formatUsdExact(sum._sum.costUsd ? parseUsd(sum._sum.costUsd.toFixed(12)) : 0n),
      calls: sum._count._all,
    };
  } finally {
    clearInterval(heartbeat);
  }
}
