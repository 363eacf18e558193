import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ModelAnswer,
  type ModelCall,
  type Protocol,
  type ProtocolAdapter,
  type Route,
  type ToolCall,
  type Usage,
  findRoute,
} from './protocols.js';
import { ArrivalCounter, InFlightCounter } from './counters.js';
import { Gates, waited } from './holds.js';
import { type ParsedConversation, type ParsedScript, type ParsedTurn, Script } from './script.js';
import { hostAccepted, hostOf, isLoopbackHost } from '../../web/server/auth/loopback.js';

export type { Protocol, Usage } from './protocols.js';

export interface RecordedRequest {
  /** When the request arrived. */
  at: string;
  protocol: Protocol;
  model: string;
  /** The request's headers, names in lower case. */
  headers: Record<string, string>;
  role?: string;
  phase?: string;
  key?: string;
  attempt?: number;
  turn: number;
  /** The task the agent was given (its first user message). */
  task: string;
  /** The conversation so far in the protocol's shape: `messages`, or Gemini's `contents`. */
  messages: unknown[];
  /** The whole request body (system prompt, tools, settings). */
  body: unknown;
  /** The HTTP status answered: undefined while in flight, or when the client left first. */
  status?: number;
  /** When the answer was fully written: undefined while in flight, or when the client left first. */
  answeredAt?: string;
  /** The usage the answer reported, if it reported one. */
  usage?: Usage;
}

const HEADER = /Maestro agent — role: (\S+), phase: (\S+), subtask: (\S+), attempt: (\d+)/;

export interface ScriptedModelServer {
  /** The base URL to give as MAESTRO_MODEL_BASE_URL (it ends in /v1). */
  baseUrl: string;
  /** `http://host:port`, to build a base URL of any provider: `${origin}/anthropic/v1`. */
  origin: string;
  requests: RecordedRequest[];
  setScript(script: Script): void;
  /** The most requests in flight at once (arrival to end of the answer), for one model or overall. */
  maxInFlight(model?: string): number;
  /** Starts the maxima again from the requests in flight now. */
  resetStats(): void;
  /** Lets the answers held at this gate go, now and from now on. */
  openGate(name: string): void;
  close(): Promise<void>;
}

/** What the server does with a model call. */
type Outcome =
  | { kind: 'answer'; delayMs: number; turn: ParsedTurn; malformed: boolean }
  | { kind: 'error'; delayMs: number; status: number; message: string; retryAfterSeconds?: number };

/**
 * A real HTTP server that replays a script: the stand-in for a model in tests and in the offline
 * demo, so the real client code runs. It speaks three protocols, recognised by the end of the path
 * (any prefix works, so one server can play several providers):
 * - OpenAI chat completions, `POST …/chat/completions` (OpenAI, DeepSeek, every compatible server);
 * - Anthropic Messages, `POST …/messages`;
 * - Gemini, `POST …/models/{model}:generateContent`.
 *
 * A conversation is recognised by the header line Maestro puts at the top of every task
 * (`Maestro agent — role: tester, phase: red, subtask: 3-1, attempt: 1`), and optionally by a text
 * the task must contain, the model asked for and the protocol; its turn is the number of times the
 * model answered so far.
 */
export async function startScriptedModelServer(options: {
  script: Script;
  host?: string;
  port?: number;
}): Promise<ScriptedModelServer> {
  let script: ParsedScript = Script.parse(options.script);
  const requests: RecordedRequest[] = [];
  const inFlight = new InFlightCounter();
  const arrivals = new ArrivalCounter();
  const gates = new Gates();
  let serial = 0;
  const bindHost = options.host ?? '127.0.0.1';

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else reply(res, 500, { error: { message: (error as Error).message, type: 'server_error' } });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('x-content-type-options', 'nosniff');
    // A page whose name was rebound to 127.0.0.1 must not read the calls nor replace the script.
    if (!hostAccepted(bindHost, req.headers.host)) {
      return reply(res, 421, {
        error: {
          message: `the scripted model listens on ${bindHost} and answers only to 127.0.0.1, [::1] or localhost, not to the Host ${JSON.stringify(req.headers.host ?? '')}`,
          type: 'misdirected_request',
        },
      });
    }
    if (url.pathname.startsWith('/scripted/') && sentByAnotherSite(req)) {
      return reply(res, 403, {
        error: {
          message: 'the scripted model is controlled from this machine only, not from a web page',
          type: 'forbidden',
        },
      });
    }
    if (req.method === 'GET' && url.pathname.endsWith('/models')) {
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
    const found = req.method === 'POST' ? findRoute(url.pathname) : undefined;
    if (!found)
      return reply(res, 404, { error: { message: `no route ${req.method} ${url.pathname}`, type: 'not_found_error' } });
    await answerModelCall(req, res, found.adapter, found.route, safeJson(body));
  }

  async function answerModelCall(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    adapter: ProtocolAdapter,
    route: Route,
    body: unknown,
  ) {
    const call = adapter.readCall(body, route);
    if ('invalid' in call) return reply(res, 400, adapter.errorBody(400, call.invalid));
    const recorded = record(req, adapter.protocol, call, body);
    const clientGone = follow(res, recorded);
    await deliver(res, adapter, call, decide(call, recorded), recorded, clientGone);
  }

  function record(req: http.IncomingMessage, protocol: Protocol, call: ModelCall, body: unknown): RecordedRequest {
    const header = HEADER.exec(call.task);
    const recorded: RecordedRequest = {
      at: new Date().toISOString(),
      protocol,
      model: call.model,
      headers: headersOf(req),
      role: header?.[1],
      phase: header?.[2],
      key: header?.[3],
      attempt: header ? Number(header[4]) : undefined,
      turn: call.turn,
      task: call.task,
      messages: call.messages,
      body,
    };
    requests.push(recorded);
    return recorded;
  }

  /** Counts the call in flight until its answer is written or its client leaves; the signal says the client left. */
  function follow(res: http.ServerResponse, recorded: RecordedRequest): AbortSignal {
    const clientGone = new AbortController();
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      inFlight.end(recorded.model);
    };
    inFlight.begin(recorded.model);
    res.once('finish', () => {
      recorded.answeredAt = new Date().toISOString();
      end();
    });
    const leave = () => {
      if (!res.writableFinished) clientGone.abort();
      end();
    };
    res.once('close', leave);
    // The client may have left while its body was read, before this listener was there.
    if (res.destroyed) leave();
    return clientGone.signal;
  }

  function decide(call: ModelCall, recorded: RecordedRequest): Outcome {
    if (call.stream) return { kind: 'error', delayMs: 0, status: 400, message: 'the scripted model does not stream' };
    const conversation = script.conversations.find(({ match }) => matches(match, recorded));
    if (!conversation) {
      const who = `${recorded.role ?? '?'} in ${recorded.phase ?? '?'}, attempt ${recorded.attempt ?? '?'}`;
      return {
        kind: 'error',
        delayMs: 0,
        status: 500,
        message: `the scripted model (${script.name}) has no answer for ${who} (${recorded.protocol} ${recorded.model})`,
      };
    }
    const index = Math.min(call.turn, conversation.turns.length - 1);
    const turn = conversation.turns[index]!;
    if (turn.failFirst && arrivals.count(conversation, index) <= turn.failFirst.times) {
      const { malformed, httpStatus, delayMs, retryAfterSeconds } = turn.failFirst;
      if (malformed) return { kind: 'answer', delayMs, turn, malformed: true };
      const status = httpStatus ?? 429;
      return { kind: 'error', delayMs, status, message: `scripted ${status}`, retryAfterSeconds };
    }
    if (turn.httpStatus) {
      return {
        kind: 'error',
        delayMs: turn.delayMs,
        status: turn.httpStatus,
        message: `scripted ${turn.httpStatus}`,
        retryAfterSeconds: turn.retryAfterSeconds,
      };
    }
    return { kind: 'answer', delayMs: turn.delayMs, turn, malformed: turn.malformed };
  }

  async function deliver(
    res: http.ServerResponse,
    adapter: ProtocolAdapter,
    call: ModelCall,
    outcome: Outcome,
    recorded: RecordedRequest,
    clientGone: AbortSignal,
  ) {
    if (!(await waited(outcome.delayMs, clientGone))) return;
    if (
      outcome.kind === 'answer' &&
      outcome.turn.holdUntil &&
      !(await gates.passed(outcome.turn.holdUntil, clientGone))
    )
      return;
    if (outcome.kind === 'error') {
      const headers: Record<string, string> =
        outcome.retryAfterSeconds === undefined ? {} : { 'retry-after': String(outcome.retryAfterSeconds) };
      return send(
        res,
        recorded,
        outcome.status,
        JSON.stringify(adapter.errorBody(outcome.status, outcome.message)),
        headers,
      );
    }
    serial += 1;
    const answer = answerFor(outcome.turn, call, serial);
    const body = JSON.stringify(adapter.answerBody(answer, call));
    if (outcome.malformed) return send(res, recorded, 200, body.slice(0, Math.floor(body.length / 2)));
    recorded.usage = answer.usage;
    send(res, recorded, 200, body);
  }

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const origin = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    baseUrl: `${origin}/v1`,
    origin,
    requests,
    setScript: (next) => {
      script = Script.parse(next);
    },
    maxInFlight: (model) => inFlight.max(model),
    resetStats: () => inFlight.reset(),
    openGate: (name) => gates.open(name),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function matches(match: ParsedConversation['match'], request: RecordedRequest): boolean {
  return (
    (match.role === undefined || match.role === request.role) &&
    (match.phase === undefined || match.phase === request.phase) &&
    (match.key === undefined || match.key === request.key) &&
    (match.attempt === undefined || match.attempt === request.attempt) &&
    (match.taskIncludes === undefined || request.task.includes(match.taskIncludes)) &&
    (match.model === undefined || match.model === request.model) &&
    (match.protocol === undefined || match.protocol === request.protocol)
  );
}

function answerFor(turn: ParsedTurn, call: ModelCall, serial: number): ModelAnswer {
  const content = turn.content ?? '';
  const usage = turn.omitUsage ? undefined : (turn.usage ?? estimatedUsage(call.messages, content, turn.toolCalls));
  return { content, toolCalls: turn.toolCalls, usage, serial };
}

/** Deterministic token counts: about four characters a token. */
function estimatedUsage(messages: unknown[], content: string, toolCalls: ToolCall[]): Usage {
  return {
    inputTokens: Math.ceil(JSON.stringify(messages).length / 4),
    outputTokens: Math.ceil((content.length + JSON.stringify(toolCalls).length) / 4),
  };
}

function send(
  res: http.ServerResponse,
  recorded: RecordedRequest,
  status: number,
  text: string,
  headers: Record<string, string> = {},
) {
  recorded.status = status;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function reply(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A browser names the page that sent a request; the tests and the stack that control this server send none. */
function sentByAnotherSite(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const host = origin === 'null' ? undefined : hostOf(origin);
    if (host === undefined || !isLoopbackHost(host)) return true;
  }
  return req.headers['sec-fetch-site'] === 'cross-site';
}

function headersOf(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
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
