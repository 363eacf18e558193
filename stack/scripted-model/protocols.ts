import { z } from 'zod';

/**
 * The three wire protocols the scripted model speaks: how each one names the model and the
 * conversation in a request, and how it shapes an answer and an error.
 */

export type Protocol = 'openai' | 'anthropic' | 'google';

export interface Usage {
  /** Every input token, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** A request to the model, whatever protocol it came in. */
export interface ModelCall {
  model: string;
  stream: boolean;
  /** The task the agent was given: the text of its first user message. */
  task: string;
  /** How many times the model answered before in this conversation. */
  turn: number;
  /** The conversation so far, in the protocol's own shape. */
  messages: unknown[];
}

export interface ModelAnswer {
  content: string;
  toolCalls: ToolCall[];
  /** Undefined: the answer carries no usage at all. */
  usage: Usage | undefined;
  /** Unique within the server, for the protocol's ids. */
  serial: number;
}

/** Where a protocol's request landed: Gemini names the model (and streaming) in the path. */
export interface Route {
  modelInPath?: string;
  streamPath: boolean;
}

export interface ProtocolAdapter {
  protocol: Protocol;
  /** The route when a POST to this path is a model call of this protocol. */
  route(pathname: string): Route | undefined;
  /** The call, or why the request is invalid. */
  readCall(body: unknown, route: Route): ModelCall | { invalid: string };
  answerBody(answer: ModelAnswer, call: ModelCall): unknown;
  errorBody(status: number, message: string): unknown;
}

type ErrorKind = 'rate_limit' | 'invalid_request' | 'server';

function errorKind(status: number): ErrorKind {
  if (status === 429) return 'rate_limit';
  return status < 500 ? 'invalid_request' : 'server';
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : ''))
      .join('');
  return '';
}

function invalid(what: string, body: unknown, error: z.ZodError): { invalid: string } {
  return { invalid: `malformed ${what}: ${body === undefined ? 'the body is not JSON' : error.issues[0]?.message}` };
}

// OpenAI chat completions (OpenAI, DeepSeek and every OpenAI-compatible server).

const ChatRequest = z
  .object({
    model: z.string(),
    messages: z.array(z.object({ role: z.string(), content: z.unknown().optional() }).loose()).min(1),
    stream: z.boolean().optional(),
  })
  .loose();

const OPENAI_ERROR_TYPES: Record<ErrorKind, string> = {
  rate_limit: 'requests',
  invalid_request: 'invalid_request_error',
  server: 'server_error',
};

export const openaiProtocol: ProtocolAdapter = {
  protocol: 'openai',
  route: (pathname) => (pathname.endsWith('/chat/completions') ? { streamPath: false } : undefined),
  readCall(body) {
    const parsed = ChatRequest.safeParse(body);
    if (!parsed.success) return invalid('chat request', body, parsed.error);
    const { model, messages, stream } = parsed.data;
    return {
      model,
      stream: stream ?? false,
      task: textOf(messages.find((message) => message.role === 'user')?.content),
      turn: messages.filter((message) => message.role === 'assistant').length,
      messages,
    };
  },
  answerBody({ content, toolCalls, usage, serial }, call) {
    const calls = toolCalls.map((toolCall, index) => ({
      id: `call_${serial}_${index}`,
      type: 'function',
      function: { name: toolCall.name, arguments: JSON.stringify(toolCall.arguments) },
    }));
    return {
      id: `chatcmpl-scripted-${serial}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: calls.length > 0 && !content ? null : content,
            ...(calls.length > 0 ? { tool_calls: calls } : {}),
          },
          finish_reason: calls.length > 0 ? 'tool_calls' : 'stop',
        },
      ],
      ...(usage ? { usage: openaiUsage(usage) } : {}),
    };
  },
  errorBody: (status, message) => ({
    error: {
      message,
      type: OPENAI_ERROR_TYPES[errorKind(status)],
      param: null,
      code: status === 429 ? 'rate_limit_exceeded' : null,
    },
  }),
};

function openaiUsage({ inputTokens, outputTokens, cachedInputTokens }: Usage) {
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    ...(cachedInputTokens === undefined
      ? {}
      : {
          prompt_tokens_details: { cached_tokens: cachedInputTokens },
          // DeepSeek's names for the same, which its client reads instead.
          prompt_cache_hit_tokens: cachedInputTokens,
          prompt_cache_miss_tokens: inputTokens - cachedInputTokens,
        }),
  };
}

// Anthropic Messages API.

const AnthropicBlock = z.object({ type: z.string() }).loose();

const MessagesRequest = z
  .object({
    model: z.string().min(1),
    max_tokens: z.int().min(1),
    system: z.union([z.string(), z.array(AnthropicBlock)]).optional(),
    messages: z
      .array(
        z
          .object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(AnthropicBlock)]) })
          .loose(),
      )
      .min(1),
    stream: z.boolean().optional(),
  })
  .loose();

const ANTHROPIC_ERROR_TYPES: Record<ErrorKind, string> = {
  rate_limit: 'rate_limit_error',
  invalid_request: 'invalid_request_error',
  server: 'api_error',
};

export const anthropicProtocol: ProtocolAdapter = {
  protocol: 'anthropic',
  route: (pathname) => (pathname.endsWith('/messages') ? { streamPath: false } : undefined),
  readCall(body) {
    const parsed = MessagesRequest.safeParse(body);
    if (!parsed.success) return invalid('messages request', body, parsed.error);
    const { model, messages, stream } = parsed.data;
    return {
      model,
      stream: stream ?? false,
      task: textOfAnthropic(messages.find((message) => message.role === 'user')?.content),
      turn: messages.filter((message) => message.role === 'assistant').length,
      messages,
    };
  },
  answerBody({ content, toolCalls, usage, serial }, call) {
    return {
      id: `msg_scripted_${serial}`,
      type: 'message',
      role: 'assistant',
      model: call.model,
      content: [
        ...(content ? [{ type: 'text', text: content }] : []),
        ...toolCalls.map((toolCall, index) => ({
          type: 'tool_use',
          id: `toolu_scripted_${serial}_${index}`,
          name: toolCall.name,
          input: toolCall.arguments,
        })),
      ],
      stop_reason: toolCalls.length > 0 ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      ...(usage ? { usage: anthropicUsage(usage) } : {}),
    };
  },
  errorBody: (status, message) => ({
    type: 'error',
    error: { type: ANTHROPIC_ERROR_TYPES[errorKind(status)], message },
  }),
};

function textOfAnthropic(content: string | z.infer<typeof AnthropicBlock>[] | undefined): string {
  if (typeof content !== 'object') return content ?? '';
  return textOf(content.filter((block) => block.type === 'text'));
}

/** Anthropic counts the cache reads apart: its input_tokens are only the uncached ones. */
function anthropicUsage({ inputTokens, outputTokens, cachedInputTokens }: Usage) {
  return {
    input_tokens: inputTokens - (cachedInputTokens ?? 0),
    output_tokens: outputTokens,
    ...(cachedInputTokens === undefined ? {} : { cache_read_input_tokens: cachedInputTokens }),
  };
}

// Gemini generateContent.

const GeminiContent = z
  .object({ role: z.enum(['user', 'model']).optional(), parts: z.array(z.object({}).loose()) })
  .loose();

const GenerateContentRequest = z.object({ contents: z.array(GeminiContent).min(1) }).loose();

const GEMINI_PATH = /\/models\/(.+?)(?::|%3[aA])(generateContent|streamGenerateContent)$/;

const GEMINI_STATUSES: Record<ErrorKind, string> = {
  rate_limit: 'RESOURCE_EXHAUSTED',
  invalid_request: 'INVALID_ARGUMENT',
  server: 'INTERNAL',
};

export const googleProtocol: ProtocolAdapter = {
  protocol: 'google',
  route(pathname) {
    const match = GEMINI_PATH.exec(pathname);
    if (!match) return undefined;
    return { modelInPath: decodedOr(match[1]!), streamPath: match[2] === 'streamGenerateContent' };
  },
  readCall(body, route) {
    const parsed = GenerateContentRequest.safeParse(body);
    if (!parsed.success) return invalid('generateContent request', body, parsed.error);
    const { contents } = parsed.data;
    return {
      model: route.modelInPath ?? '',
      stream: route.streamPath,
      // A content without a role is the user's.
      task: textOf(contents.find((content) => content.role !== 'model')?.parts),
      turn: contents.filter((content) => content.role === 'model').length,
      messages: contents,
    };
  },
  answerBody({ content, toolCalls, usage }, call) {
    return {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              ...(content ? [{ text: content }] : []),
              ...toolCalls.map((toolCall) => ({ functionCall: { name: toolCall.name, args: toolCall.arguments } })),
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      ...(usage ? { usageMetadata: geminiUsage(usage) } : {}),
      modelVersion: call.model,
    };
  },
  errorBody: (status, message) => ({ error: { code: status, message, status: GEMINI_STATUSES[errorKind(status)] } }),
};

function decodedOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function geminiUsage({ inputTokens, outputTokens, cachedInputTokens }: Usage) {
  return {
    promptTokenCount: inputTokens,
    candidatesTokenCount: outputTokens,
    totalTokenCount: inputTokens + outputTokens,
    ...(cachedInputTokens === undefined ? {} : { cachedContentTokenCount: cachedInputTokens }),
  };
}

export const PROTOCOLS: readonly ProtocolAdapter[] = [openaiProtocol, anthropicProtocol, googleProtocol];

export function findRoute(pathname: string): { adapter: ProtocolAdapter; route: Route } | undefined {
  for (const adapter of PROTOCOLS) {
    const route = adapter.route(pathname);
    if (route) return { adapter, route };
  }
  return undefined;
}
