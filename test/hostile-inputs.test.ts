import { describe, expect, inject, test } from 'vitest';
import { appRouter } from '../web/server/root.js';

/**
 * Every procedure of the API, called over real HTTP by the local admin with inputs a client should
 * never send: each is refused with a 4xx that says what is wrong, none is a 500, none carries the
 * database's own message, and the API still answers at once afterwards.
 */
const { apiUrl } = inject('sharedStack');

type Kind = 'query' | 'mutation' | 'subscription';
interface Procedure {
  path: string;
  kind: Kind;
}

const procedures: Procedure[] = Object.entries(
  (appRouter._def as unknown as { procedures: Record<string, { _def: { type: Kind; inputs: unknown[] } }> }).procedures,
)
  .filter(([, procedure]) => procedure._def.inputs.length > 0)
  .map(([path, procedure]) => ({ path, kind: procedure._def.type }));

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\uD800b';

/** Inputs no procedure accepts: wrong shapes, unknown keys, text PostgreSQL cannot store, sizes over every bound. */
const HOSTILE: Array<[label: string, input: unknown]> = [
  ['a string instead of an object', 'text'],
  ['a number instead of an object', 12],
  ['an array instead of an object', [{ project: 'p' }]],
  ['an unknown key', { zzUnknown: 1 }],
  ['__proto__ smuggling', JSON.parse('{"__proto__": {"role": "admin"}, "zzUnknown": 1}')],
  ['NULs in every common field', { project: NUL, key: NUL, name: NUL, id: NUL, user: NUL, zzUnknown: NUL }],
  ['lone surrogates', { project: LONE_SURROGATE, key: LONE_SURROGATE, zzUnknown: LONE_SURROGATE }],
  ['numbers where names go', { project: 1e308, key: -1, name: Number.MAX_SAFE_INTEGER, zzUnknown: 0 }],
  ['a 200,000-character name and key', { project: 'p'.repeat(200_000), key: 'k'.repeat(200_000), zzUnknown: 1 }],
  ['a nest 2,000 deep', JSON.parse(`${'{"zzUnknown":'.repeat(2_000)}1${'}'.repeat(2_000)}`)],
];

interface Answer {
  status: number;
  text: string;
}

async function call(procedure: Procedure, input: unknown): Promise<Answer> {
  const url = `${apiUrl}/trpc/${procedure.path}`;
  const encoded = JSON.stringify(input);
  const response =
    procedure.kind === 'mutation'
      ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: encoded })
      : await fetch(`${url}?input=${encodeURIComponent(encoded)}`, {
          headers: procedure.kind === 'subscription' ? { accept: 'text/event-stream' } : {},
          signal: AbortSignal.timeout(10_000),
        });
  // A subscription that was refused says so in its first event; one never opens for these inputs.
  const text = procedure.kind === 'subscription' ? await firstChunk(response) : await response.text();
  return { status: response.status, text };
}

async function firstChunk(response: Response): Promise<string> {
  const reader = response.body!.getReader();
  const { value } = await reader.read();
  await reader.cancel();
  return new TextDecoder().decode(value);
}

/** What a refusal must never show: the database's or the runtime's own words. */
const LEAKS = /prisma|invalid `|postgres|stack":|at [\w.]+ \(|TypeError|Cannot read properties/i;

describe('hostile inputs to every procedure of the API', () => {
  test('are refused clearly: no 500, no database message, and the API answers at once afterwards', async () => {
    expect(procedures.length).toBeGreaterThan(40);
    const tally = {
      tried: 0,
      refused: 0,
      serverErrors: [] as string[],
      leaks: [] as string[],
      accepted: [] as string[],
    };
    for (const procedure of procedures) {
      for (const [label, input] of HOSTILE) {
        const answer = await call(procedure, input);
        tally.tried += 1;
        const where = `${procedure.path} with ${label}: ${answer.status} ${answer.text.slice(0, 200)}`;
        if (answer.status >= 500) tally.serverErrors.push(where);
        else if (answer.status >= 400) tally.refused += 1;
        else if (!(procedure.kind === 'subscription' && /BAD_REQUEST|error/.test(answer.text)))
          tally.accepted.push(where);
        if (LEAKS.test(answer.text)) tally.leaks.push(where);
      }
    }
    expect(tally.serverErrors).toEqual([]);
    expect(tally.leaks).toEqual([]);
    expect(tally.accepted).toEqual([]);
    console.info(
      `hostile inputs: ${tally.tried} tried on ${procedures.length} procedures, ${tally.refused} refused with a 4xx, ${tally.serverErrors.length} server errors`,
    );

    // Nothing is left wedged: the API still answers.
    const health = await fetch(`${apiUrl}/trpc/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
  });
});
