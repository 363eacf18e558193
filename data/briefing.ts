import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChecklistItem } from '../domain/checklist.js';
import { DEFAULT_PHASES } from '../domain/phases.js';
import { changedFiles, gitRaw } from '../git/git.js';
import type { PrismaClient } from './prisma.js';
import { territoryMatcher } from '../git/territory.js';

/**
 * Everything an agent (or a person) needs to start on a subtask, in one answer: the subtask, its
 * checklist, what each role must do, the files that matter with snippets, the last events, and what
 * is still open. Fed into agent prompts, and served as `agent.briefing`.
 */
export interface Briefing {
  subtask: {
    id: string;
    workflowId: string;
    project: string;
    key: string;
    title: string;
    description: string;
    risk: string;
    status: string;
    phase: string | null;
    attempt: number;
    acceptanceCriteria: string[];
    filesInScope: string[];
    dependencies: string[];
    branch: string | null;
  };
  checklist: ChecklistItem[];
  progress: string;
  requirements: { tester: string; developer: string };
  relevantFiles: RelevantFile[];
  recentEvents: Array<{ at: string; actor: string; kind: string; message: string }>;
  openQuestions: string[];
}

export interface RelevantFile {
  path: string;
  why: 'in scope' | 'changed on the branch' | 'a test of a file in scope';
  lines: number;
  snippet: string;
  truncated: boolean;
}

/** What only the live workflow knows; absent when the workflow cannot be asked. */
export interface LiveSubtask {
  status?: string;
  phase?: string | null;
  attempt?: number;
  checklist?: ChecklistItem[];
  progress?: string;
  worktree?: string;
  lastFailure?: { phase: string; reason: string; failingTests: string[] };
  blocked?: { reason: string; options: string[] };
  pendingGate?: { gate: string; since: string };
}

export interface BriefingOptions {
  /** Lines of each file shown; the first ones. */
  snippetLines?: number;
  maxFiles?: number;
}

const SPEC_FIELDS = { acceptanceCriteria: [] as string[], filesInScope: [] as string[], dependencies: [] as string[] };

export async function buildBriefing(
  prisma: PrismaClient,
  subtaskId: string,
  live: LiveSubtask = {},
  options: BriefingOptions = {},
): Promise<Briefing> {
  const row = await prisma.subtask.findUniqueOrThrow({
    where: { id: subtaskId },
    select: {
      id: true,
      workflowId: true,
      key: true,
      title: true,
      description: true,
      risk: true,
      status: true,
      phase: true,
      attempt: true,
      branch: true,
      spec: true,
      project: { select: { name: true, repoPath: true, baseBranch: true, territories: true } },
    },
  });
  const spec = { ...SPEC_FIELDS, ...(row.spec as Partial<typeof SPEC_FIELDS>) };
  const territories = {
    tester: [] as string[],
    developer: [] as string[],
    ...(row.project.territories as Record<string, string[]>),
  };

  const [events, approvals, escalations] = await Promise.all([
    prisma.activityEvent.findMany({
      where: { subtaskId },
      orderBy: { id: 'desc' },
      take: 10,
      select: { occurredAt: true, actor: true, kind: true, message: true },
    }),
    prisma.approval.findMany({ where: { subtaskId, status: 'pending' }, select: { gate: true, requestedAt: true } }),
    prisma.escalation.findMany({
      where: { subtaskId, status: 'open' },
      select: { reason: true, options: true, recommendedOption: true },
    }),
  ]);

  const checklist = live.checklist ?? [];
  const worktree = live.worktree && existsSync(live.worktree) ? live.worktree : undefined;
  return {
    subtask: {
      id: row.id,
      workflowId: row.workflowId,
      project: row.project.name,
      key: row.key,
      title: row.title,
      description: row.description,
      risk: row.risk,
      status: live.status ?? row.status,
      phase: live.phase ?? row.phase,
      attempt: live.attempt ?? row.attempt,
      acceptanceCriteria: spec.acceptanceCriteria,
      filesInScope: spec.filesInScope,
      dependencies: spec.dependencies,
      branch: row.branch,
    },
    checklist,
    progress: live.progress ?? `${checklist.filter((item) => item.done).length}/${checklist.length}`,
    requirements: {
      tester: requirementsOf('tester', territories.tester),
      developer: requirementsOf('developer', territories.developer),
    },
    relevantFiles: await relevantFiles(
      {
        repoPath: row.project.repoPath,
        baseBranch: row.project.baseBranch,
        branch: row.branch,
        worktree,
        filesInScope: spec.filesInScope,
        testGlobs: territories.tester,
      },
      options,
    ),
    recentEvents: events.map((event) => ({
      at: event.occurredAt.toISOString(),
      actor: event.actor,
      kind: event.kind,
      message: event.message,
    })),
    openQuestions: openQuestions(live, checklist, approvals, escalations),
  };
}

function requirementsOf(role: 'tester' | 'developer', territory: string[]): string {
  const goals = DEFAULT_PHASES.filter((phase) => phase.role === role).map((phase) => `${phase.name}: ${phase.goal}`);
  return `${goals.join(' ')} Writes only ${territory.length > 0 ? territory.join(', ') : '(no territory configured)'}.`;
}

async function relevantFiles(
  where: {
    repoPath: string;
    baseBranch: string;
    branch: string | null;
    worktree?: string;
    filesInScope: string[];
    testGlobs: string[];
  },
  options: BriefingOptions,
): Promise<RelevantFile[]> {
  const maxFiles = options.maxFiles ?? 8;
  const snippetLines = options.snippetLines ?? 40;
  const chosen = new Map<string, RelevantFile['why']>();
  for (const file of where.filesInScope) chosen.set(normalise(file), 'in scope');
  if (where.worktree) {
    const changed = await changedFiles(where.worktree, `refs/heads/${where.baseBranch}`).catch(() => []);
    for (const file of changed) if (!chosen.has(file)) chosen.set(file, 'changed on the branch');
  }
  const allFiles = await listFiles(
    where.worktree ?? where.repoPath,
    where.worktree ? 'HEAD' : `refs/heads/${where.baseBranch}`,
  );
  const isTest = territoryMatcher(where.testGlobs);
  const scopeNames = where.filesInScope
    .map((file) => path.posix.basename(file).replace(/\.[^.]+$/, ''))
    .filter(Boolean);
  for (const file of allFiles) {
    if (chosen.has(file) || !isTest(file)) continue;
    if (
      scopeNames.some(
        (name) => path.posix.basename(file).startsWith(`${name}.`) || path.posix.basename(file).startsWith(`${name}-`),
      )
    )
      chosen.set(file, 'a test of a file in scope');
  }

  const files: RelevantFile[] = [];
  for (const [file, why] of chosen) {
    if (files.length >= maxFiles) break;
    const text = await readAtRevision(where, file);
    if (text === undefined) continue;
    const lines = text.split('\n');
    const count = text.endsWith('\n') ? lines.length - 1 : lines.length;
    files.push({
      path: file,
      why,
      lines: count,
      snippet: lines.slice(0, snippetLines).join('\n'),
      truncated: count > snippetLines,
    });
  }
  return files;
}

/** A file as the subtask sees it: in its worktree when there is one, else on the base branch. */
async function readAtRevision(
  where: { repoPath: string; baseBranch: string; worktree?: string },
  file: string,
): Promise<string | undefined> {
  if (where.worktree) {
    const absolute = path.join(where.worktree, file);
    if (!absolute.startsWith(where.worktree + path.sep) || !existsSync(absolute)) return undefined;
    try {
      return readFileSync(absolute, 'utf8');
    } catch {
      return undefined;
    }
  }
  const shown = await gitRaw(where.repoPath, ['show', `refs/heads/${where.baseBranch}:${file}`]);
  return shown.exitCode === 0 ? shown.stdout : undefined;
}

async function listFiles(repo: string, revision: string): Promise<string[]> {
  // `-z`: paths as they are, not quoted for non-ASCII letters or quotes.
  const listed = await gitRaw(repo, ['ls-tree', '-r', '-z', '--name-only', revision]);
  return listed.exitCode === 0 ? listed.stdout.split('\0').filter(Boolean) : [];
}

function normalise(file: string): string {
  return file.replaceAll('\\', '/').replace(/^\.\//, '');
}

function openQuestions(
  live: LiveSubtask,
  checklist: ChecklistItem[],
  approvals: Array<{ gate: string; requestedAt: Date }>,
  escalations: Array<{ reason: string; options: unknown; recommendedOption: string | null }>,
): string[] {
  const questions: string[] = [];
  for (const approval of approvals)
    questions.push(
      `Waiting for a person to approve the ${approval.gate} (since ${approval.requestedAt.toISOString()}).`,
    );
  for (const escalation of escalations) {
    const options = Array.isArray(escalation.options)
      ? (escalation.options as Array<{ id?: string }>).map((option) => option.id).filter(Boolean)
      : [];
    questions.push(
      `Escalated to a person: ${escalation.reason} (options: ${options.join(', ')}${escalation.recommendedOption ? `; recommended: ${escalation.recommendedOption}` : ''}).`,
    );
  }
  if (live.lastFailure)
    questions.push(
      `The last ${live.lastFailure.phase} attempt failed: ${live.lastFailure.reason}${live.lastFailure.failingTests.length > 0 ? ` (failing: ${live.lastFailure.failingTests.join('; ')})` : ''}.`,
    );
  for (const item of checklist)
    if (item.kind === 'criterion' && !item.done) questions.push(`Not yet shown to be met: ${item.label}`);
  return questions;
}

/**
 * The briefing as a section of an agent's task: short, newest first. Files are shown while they fit
 * `maxChars`; the ones that do not are named, so the prompt stays inside the model's budget.
 */
export function briefingSection(briefing: Briefing, options: { fullFiles?: boolean; maxChars?: number } = {}): string {
  const parts: string[] = ['## Briefing'];
  if (briefing.openQuestions.length > 0)
    parts.push('Open questions:', ...briefing.openQuestions.map((question) => `- ${question}`));
  if (briefing.recentEvents.length > 0)
    parts.push(
      'Recent events (newest first):',
      ...briefing.recentEvents.slice(0, 5).map((event) => `- ${event.kind} (${event.actor}): ${event.message}`),
    );
  if (briefing.relevantFiles.length > 0) {
    parts.push(
      options.fullFiles
        ? 'Relevant files (their current content):'
        : 'Relevant files (the first lines; read_file shows the rest):',
    );
    let room = (options.maxChars ?? Number.POSITIVE_INFINITY) - parts.join('\n').length;
    const left: string[] = [];
    for (const file of briefing.relevantFiles) {
      const shown = [
        `### ${file.path} (${file.why}, ${file.lines} lines)`,
        '```',
        file.snippet,
        ...(file.truncated ? ['[…]'] : []),
        '```',
      ].join('\n');
      if (shown.length > room) {
        left.push(file.path);
        continue;
      }
      parts.push(shown);
      room -= shown.length + 1;
    }
    if (left.length > 0) parts.push(`(Not shown, to fit the prompt: ${left.join(', ')}.)`);
  }
  return parts.join('\n');
}
