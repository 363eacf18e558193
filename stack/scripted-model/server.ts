import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/**
 * A real HTTP server speaking the OpenAI chat-completions protocol (with tool calls) that replays a
 * script: the stand-in for a model in tests and in the offline demo, so the real client code runs.
 *
 * A conversation is recognised by the header line Maestro puts at the top of every task
 * (`Maestro agent — role: tester, phase: red, subtask: 3-1, attempt: 1`) and, optionally, by a text
 * the task must contain; its turn is the number of assistant messages so far.
 */

export const ScriptedToolCall = z.object({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).default({}) });

export const ScriptedTurn = z.object({
  /** Wait before answering: a slow model, or a window to kill a worker in. */
  delayMs: z.int().min(0).default(0),
  content: z.string().optional(),
  toolCalls: z.array(ScriptedToolCall).default([]),
  /** Answer with this HTTP status instead (429, 500...). */
  httpStatus: z.int().min(400).max(599).optional(),
});
export type ScriptedTurn = z.input<typeof ScriptedTurn>;

export const ScriptedConversation = z.object({
  match: z.object({
    role: z.string().optional(),
    phase: z.string().optional(),
    key: z.string().optional(),
    attempt: z.int().optional(),
    /** A text the task must contain (a hint, a reviewer's comment). */
    taskIncludes: z.string().optional(),
  }),
  turns: z.array(ScriptedTurn).min(1),
});
export type ScriptedConversation = z.input<typeof ScriptedConversation>;

export const Script = z.object({ name: z.string(), conversations: z.array(ScriptedConversation) });
export type Script = z.input<typeof Script>;
type ParsedScript = z.output<typeof Script>;

const ChatRequest = z.object({
  model: z.string(),
  messages: z.array(z.object({ role: z.string(), content: z.unknown().optional() }).loose()).min(1),
  stream: z.boolean().optional(),
});

export interface RecordedRequest {
  at: string;
  role?: string;
  phase?: string;
  key?: string;
  attempt?: number;
  turn: number;
  /** The task the agent was given (its first user message). */
  task: string;
  messages: unknown[];
}

const HEADER = /Maestro agent — role: (\S+), phase: (\S+), subtask: (\S+), attempt: (\d+)/;

export interface ScriptedModelServer {
  /** The base URL to give as MAESTRO_MODEL_BASE_URL (it ends in /v1). */
  baseUrl: string;
  requests: RecordedRequest[];
  setScript(script: Script): void;
  close(): Promise<void>;
}

export async function startScriptedModelServer(options: { script: Script; host?: string; port?: number }): Promise<ScriptedModelServer> {
  let script: ParsedScript = Script.parse(options.script);
  const requests: RecordedRequest[] = [];
  let counter = 0;

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => reply(res, 500, { error: { message: (error as Error).message, type: 'server_error' } }));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return reply(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', owned_by: 'maestro' }] });
    }
    if (req.method === 'GET' && url.pathname === '/scripted/requests') return reply(res, 200, requests);
    const body = await readBody(req);
    if (req.method === 'POST' && url.pathname === '/scripted/script') {
      const parsed = Script.safeParse(safeJson(body));
      if (!parsed.success) return reply(res, 400, { error: { message: parsed.error.message } });
      script = parsed.data;
      return reply(res, 200, { ok: true });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') return reply(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });

    const parsed = ChatRequest.safeParse(safeJson(body));
    if (!parsed.success) return reply(res, 400, { error: { message: `malformed chat request: ${parsed.error.issues[0]?.message}`, type: 'invalid_request_error' } });
    if (parsed.data.stream) return reply(res, 400, { error: { message: 'the scripted model does not stream', type: 'invalid_request_error' } });

    const messages = parsed.data.messages;
    const task = textOf(messages.find((message) => message.role === 'user')?.content);
    const header = HEADER.exec(task);
    const turn = messages.filter((message) => message.role === 'assistant').length;
    const recorded: RecordedRequest = {
      at: new Date().toISOString(),
      role: header?.[1],
      phase: header?.[2],
      key: header?.[3],
      attempt: header ? Number(header[4]) : undefined,
      turn,
      task,
      messages,
    };
    requests.push(recorded);

    const conversation = script.conversations.find(
      ({ match }) =>
        (match.role === undefined || match.role === recorded.role) &&
        (match.phase === undefined || match.phase === recorded.phase) &&
        (match.key === undefined || match.key === recorded.key) &&
        (match.attempt === undefined || match.attempt === recorded.attempt) &&
        (match.taskIncludes === undefined || task.includes(match.taskIncludes)),
    );
    if (!conversation) {
      return reply(res, 500, {
        error: { message: `the scripted model (${script.name}) has no answer for ${recorded.role ?? '?'} in ${recorded.phase ?? '?'}, attempt ${recorded.attempt ?? '?'}`, type: 'server_error' },
      });
    }
    const answer = conversation.turns[Math.min(turn, conversation.turns.length - 1)]!;
    if (answer.delayMs > 0) await sleep(answer.delayMs);
    if (answer.httpStatus) return reply(res, answer.httpStatus, { error: { message: `scripted ${answer.httpStatus}`, type: 'scripted' } });

    counter += 1;
    const toolCalls = answer.toolCalls.map((call, index) => ({
      id: `call_${counter}_${index}`,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    const completion = answer.content ?? '';
    return reply(res, 200, {
      id: `chatcmpl-scripted-${counter}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: parsed.data.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: toolCalls.length > 0 && !completion ? null : completion, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
          finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
        },
      ],
      // Deterministic token counts: about four characters a token.
      usage: {
        prompt_tokens: Math.ceil(JSON.stringify(messages).length / 4),
        completion_tokens: Math.ceil((completion.length + JSON.stringify(toolCalls).length) / 4),
        total_tokens: Math.ceil(JSON.stringify(messages).length / 4) + Math.ceil((completion.length + JSON.stringify(toolCalls).length) / 4),
      },
    });
  }

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://${options.host ?? '127.0.0.1'}:${port}/v1`,
    requests,
    setScript: (next) => {
      script = Script.parse(next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join('');
  return '';
}
