import type { Candidate } from '../domain/escalation.js';
import { formatUsdExact, parseUsd } from '../domain/money.js';
import { Prisma, type PrismaClient } from './prisma.js';

export interface CouncilOpening {
  workflowId: string;
  subtaskId: string;
  projectId: string;
  phase: string;
  problemType: string;
  strategy: string;
  members: string[];
  at: number;
}

/** The council's record, opened when it convenes (again, harmlessly, when its workflow replays). */
export async function openCouncil(prisma: PrismaClient, input: CouncilOpening): Promise<string> {
  const { at, ...fields } = input;
  const row = await prisma.councilSession.upsert({
    where: { workflowId: input.workflowId },
    create: { ...fields, startedAt: new Date(at) },
    update: {},
    select: { id: true },
  });
  return row.id;
}

export interface RecordedCandidate extends Candidate {
  provider: string;
  summary?: string;
  error?: string;
  costUsd: string;
}

/** Every candidate, the winner, why, and whether it was applied; costs from the ledger (every call the council made). */
export async function closeCouncil(
  prisma: PrismaClient,
  input: {
    sessionId: string;
    councilWorkflowId: string;
    problemType: string;
    candidates: Array<Omit<RecordedCandidate, 'costUsd'>>;
    winner?: string;
    reason: string;
    applied: boolean;
    at: number;
  },
): Promise<{ costUsd: string }> {
  // A member's calls carry the role `council:<model>`; the judge's (which may be a member's model too) `judge`.
  const spent = await prisma.modelCall.groupBy({
    by: ['role'],
    where: { workflowId: input.councilWorkflowId },
    _sum: { costUsd: true },
  });
  const costOf = new Map(
    spent.map((row) => [row.role ?? '', row._sum.costUsd ? parseUsd(row._sum.costUsd.toFixed(12)) : 0n]),
  );
  const total = [...costOf.values()].reduce((sum, cost) => sum + cost, 0n);
  const candidates: RecordedCandidate[] = input.candidates.map((candidate) => ({
    ...candidate,
    costUsd: formatUsdExact(costOf.get(`council:${candidate.model}`) ?? 0n),
  }));
  await prisma.$transaction([
    ...candidates.map((candidate) =>
      prisma.councilCandidate.upsert({
        where: { sessionId_model: { sessionId: input.sessionId, model: candidate.model } },
        create: candidateRow(input.sessionId, input.problemType, candidate, candidate.model === input.winner),
        update: candidateRow(input.sessionId, input.problemType, candidate, candidate.model === input.winner),
      }),
    ),
    prisma.councilSession.update({
      where: { id: input.sessionId },
      data: {
        status: input.winner ? 'decided' : 'failed',
        winner: input.winner,
        reason: input.reason,
        applied: input.applied,
        costUsd: new Prisma.Decimal(formatUsdExact(total)),
        decidedAt: new Date(input.at),
      },
    }),
  ]);
  return { costUsd: formatUsdExact(total) };
}

function candidateRow(sessionId: string, problemType: string, candidate: RecordedCandidate, won: boolean) {
  return {
    sessionId,
    model: candidate.model,
    provider: candidate.provider,
    problemType,
    status: candidate.status,
    sha: candidate.sha,
    passedCheck: candidate.passedCheck,
    testsPassed: candidate.testsPassed,
    testsFailed: candidate.testsFailed,
    diffLines: candidate.diffLines,
    confidence: candidate.confidence,
    scores: candidate.scores ?? Prisma.JsonNull,
    summary: candidate.summary?.slice(0, 4_000),
    error: candidate.error?.slice(0, 2_000),
    costUsd: new Prisma.Decimal(candidate.costUsd),
    won,
  };
}

/** A council that ended without deciding (cancelled, or its workflow failed) is not left `running`. */
export async function abandonCouncil(
  prisma: PrismaClient,
  input: { workflowId: string; reason: string; at: number },
): Promise<void> {
  await prisma.councilSession.updateMany({
    where: { workflowId: input.workflowId, status: 'running' },
    data: { status: 'abandoned', reason: input.reason.slice(0, 2_000), decidedAt: new Date(input.at) },
  });
}

/** What became of the applied winner: the phase's check on the subtask's branch passed, or not. */
export async function recordCouncilOutcome(
  prisma: PrismaClient,
  input: { sessionId: string; outcome: 'success' | 'failed' },
): Promise<void> {
  await prisma.councilSession.update({ where: { id: input.sessionId }, data: { outcome: input.outcome } });
}

export interface WinRate {
  model: string;
  problemType: string;
  wins: number;
  councils: number;
  rate: number;
}

/** Wins over councils sat, per model and problem type, from every council recorded. */
export async function winRates(
  prisma: PrismaClient,
  where: { problemType?: string; problemTypePrefix?: string } = {},
): Promise<WinRate[]> {
  const rows = await prisma.councilCandidate.groupBy({
    by: ['model', 'problemType', 'won'],
    where: {
      ...(where.problemType ? { problemType: where.problemType } : {}),
      ...(where.problemTypePrefix ? { problemType: { startsWith: where.problemTypePrefix } } : {}),
      session: { status: { not: 'running' } },
    },
    _count: { _all: true },
  });
  const totals = new Map<string, WinRate>();
  for (const row of rows) {
    const key = `${row.model}|${row.problemType}`;
    const entry = totals.get(key) ?? { model: row.model, problemType: row.problemType, wins: 0, councils: 0, rate: 0 };
    entry.councils += row._count._all;
    if (row.won) entry.wins += row._count._all;
    entry.rate = entry.wins / entry.councils;
    totals.set(key, entry);
  }
  return [...totals.values()].sort(
    (a, b) => b.rate - a.rate || b.councils - a.councils || a.model.localeCompare(b.model),
  );
}
