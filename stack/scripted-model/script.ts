import { z } from 'zod';

export const ScriptedToolCall = z.object({
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

export const ScriptedUsage = z
  .object({
    /** Every input token, cached ones included (Anthropic is told the uncached rest as its input_tokens). */
    inputTokens: z.int().min(0),
    outputTokens: z.int().min(0),
    cachedInputTokens: z.int().min(0).optional(),
  })
  .refine(
    (usage) => (usage.cachedInputTokens ?? 0) <= usage.inputTokens,
    'cachedInputTokens cannot exceed inputTokens',
  );

const HttpErrorStatus = z.int().min(400).max(599);

export const ScriptedFailure = z.object({
  /** How many requests at the turn fail before one gets the turn's answer. */
  times: z.int().min(1),
  /** 429 unless the failure is a malformed body. */
  httpStatus: HttpErrorStatus.optional(),
  retryAfterSeconds: z.int().min(0).optional(),
  /** Fail with a 200 whose body is not valid JSON. */
  malformed: z.boolean().default(false),
  delayMs: z.int().min(0).default(0),
});

export const ScriptedTurn = z
  .object({
    /** Wait before answering: a slow model, or a window to kill a worker in. */
    delayMs: z.int().min(0).default(0),
    content: z.string().optional(),
    toolCalls: z.array(ScriptedToolCall).default([]),
    /** Answer every request at this turn with this HTTP status instead (429, 500...). */
    httpStatus: HttpErrorStatus.optional(),
    /** With httpStatus: the retry-after header to send. */
    retryAfterSeconds: z.int().min(0).optional(),
    /** The usage to report instead of the estimate (about four characters a token). */
    usage: ScriptedUsage.optional(),
    /** Answer without any usage, as some local servers do. */
    omitUsage: z.boolean().default(false),
    /** Answer 200 with a body that is not valid JSON. */
    malformed: z.boolean().default(false),
    /** The first requests at this turn of this conversation get this failure; later ones the turn's answer. */
    failFirst: ScriptedFailure.optional(),
    /** Hold the answer until the test opens the gate of this name (`openGate`): a call surely in flight. */
    holdUntil: z.string().min(1).optional(),
  })
  .refine(
    (turn) => turn.retryAfterSeconds === undefined || turn.httpStatus !== undefined,
    'retryAfterSeconds needs an httpStatus',
  );
export type ScriptedTurn = z.input<typeof ScriptedTurn>;
export type ParsedTurn = z.output<typeof ScriptedTurn>;

export const ScriptedConversation = z.object({
  match: z.object({
    role: z.string().optional(),
    phase: z.string().optional(),
    key: z.string().optional(),
    attempt: z.int().optional(),
    /** A text the task must contain (a hint, a reviewer's comment). */
    taskIncludes: z.string().optional(),
    /** The model the request names. */
    model: z.string().optional(),
    protocol: z.enum(['openai', 'anthropic', 'google']).optional(),
  }),
  turns: z.array(ScriptedTurn).min(1),
});
export type ScriptedConversation = z.input<typeof ScriptedConversation>;
export type ParsedConversation = z.output<typeof ScriptedConversation>;

export const Script = z.object({ name: z.string(), conversations: z.array(ScriptedConversation) });
export type Script = z.input<typeof Script>;
export type ParsedScript = z.output<typeof Script>;
