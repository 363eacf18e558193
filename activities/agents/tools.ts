import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ToolSet, tool } from 'ai';
import { z } from 'zod';
import { TerritoryError, resolveForWrite, resolveInWorktree, worktreeRelative } from '../../git/territory.js';
import { CriterionVerdict } from '../../domain/evidence.js';

const MAX_READ_BYTES = 100_000;
const MAX_LISTED = 400;
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules', 'dist', 'build', 'coverage', '.venv', 'target']);

export interface ToolContext {
  worktree: string;
  role: string;
  territory: readonly string[];
  /** Runs the project's suites; returns the account the agent reads. */
  runTests(): Promise<string>;
  /** Each file written, relative to the worktree as git names it: what the commit may hold. */
  onWrite?(relativePath: string): void;
}

/** The finish tool's input: the agent's own account, and for verify, a verdict per criterion. */
export const FinishInput = z.object({
  summary: z.string().min(1).max(4_000).describe('What you did, in a few sentences.'),
  criteria: z
    .array(CriterionVerdict)
    .optional()
    .describe(
      'Verify phase only: for each acceptance criterion (numbered from 1), whether it is met, and for a met one its evidence: the tests that show it, each { file, test }. Maestro checks that each file is on the branch, holds the test, and that the test passed; a criterion without such evidence is not met.',
    ),
  confidence: z
    .number()
    .min(0)
    .max(100)
    .optional()
    .describe('How sure you are that your work is right, from 0 to 100.'),
});
export type FinishInput = z.infer<typeof FinishInput>;

/** What each tool is and takes: the model sees these, wherever the tool then runs. */
const TOOL_DECLARATIONS = {
  list_files: {
    description: 'List the files of the repository, or of one folder in it.',
    inputSchema: z.object({
      path: z.string().optional().describe('A folder relative to the repository root; omit for all.'),
    }),
  },
  read_file: { description: 'Read one file of the repository.', inputSchema: z.object({ path: z.string() }) },
  write_file: {
    description: 'Create or replace one file with its complete content.',
    inputSchema: z.object({ path: z.string(), content: z.string() }),
  },
  run_tests: {
    description: "Run the project's test suites; see what fails and the end of the output.",
    inputSchema: z.object({}),
  },
  finish: {
    description: 'Say you are done. Call it once, when the work of this phase is complete.',
    inputSchema: FinishInput,
  },
} as const;

export type AgentToolName = keyof typeof TOOL_DECLARATIONS;
/** The tools that act on the worktree (finish ends the run instead). */
export type WorktreeToolName = Exclude<AgentToolName, 'finish'>;

/** The tools as the model sees them, with nothing to run: the caller runs each call (see runAgentTool). */
export function agentToolDeclarations() {
  return {
    list_files: tool(TOOL_DECLARATIONS.list_files),
    read_file: tool(TOOL_DECLARATIONS.read_file),
    write_file: tool(TOOL_DECLARATIONS.write_file),
    run_tests: tool(TOOL_DECLARATIONS.run_tests),
    finish: tool(TOOL_DECLARATIONS.finish),
  } satisfies ToolSet;
}

/**
 * One tool call, run in the worktree. Its input is checked against the tool's schema; a refused
 * operation or a bad input returns its reason to the agent instead of failing the run.
 */
export async function runAgentTool(context: ToolContext, name: string, input: unknown): Promise<string> {
  if (!(name in TOOL_DECLARATIONS) || name === 'finish') return `error: there is no tool named ${name}`;
  const parsed = TOOL_DECLARATIONS[name as WorktreeToolName].inputSchema.safeParse(input);
  if (!parsed.success) return `error: invalid input for ${name}: ${z.prettifyError(parsed.error)}`;
  const args = parsed.data as Record<string, string | undefined>;
  switch (name as WorktreeToolName) {
    case 'list_files':
      return guarded(() => listFiles(context.worktree, args.path));
    case 'read_file':
      return guarded(() => readWorktreeFile(context.worktree, args.path!));
    case 'write_file':
      return guarded(() => writeWorktreeFile(context, args.path!, args.content!));
    case 'run_tests':
      return context.runTests();
  }
}

/** The agent's tools, run in this process. A refused operation returns its reason to the agent instead of failing the run. */
export function createAgentTools(context: ToolContext) {
  return {
    list_files: tool({
      ...TOOL_DECLARATIONS.list_files,
      execute: async ({ path: folder }) => guarded(() => listFiles(context.worktree, folder)),
    }),
    read_file: tool({
      ...TOOL_DECLARATIONS.read_file,
      execute: async ({ path: file }) => guarded(() => readWorktreeFile(context.worktree, file)),
    }),
    write_file: tool({
      ...TOOL_DECLARATIONS.write_file,
      execute: async ({ path: file, content }) => guarded(() => writeWorktreeFile(context, file, content)),
    }),
    run_tests: tool({ ...TOOL_DECLARATIONS.run_tests, execute: async () => context.runTests() }),
    // No execute: calling finish ends the run (and its input is the result).
    finish: tool(TOOL_DECLARATIONS.finish),
  } satisfies ToolSet;
}

function readWorktreeFile(worktree: string, file: string): string {
  const { absolute } = resolveInWorktree(worktree, file);
  const size = statSync(absolute).size;
  const text = readFileSync(absolute, 'utf8');
  return size > MAX_READ_BYTES ? `${text.slice(0, MAX_READ_BYTES)}\n[… ${size - MAX_READ_BYTES} more bytes]` : text;
}

function writeWorktreeFile(context: ToolContext, file: string, content: string): string {
  const absolute = resolveForWrite(context.worktree, file, context.role, context.territory);
  mkdirSync(path.dirname(absolute), { recursive: true });
  writeFileSync(absolute, content);
  const relative = worktreeRelative(context.worktree, absolute);
  context.onWrite?.(relative);
  return `wrote ${relative} (${Buffer.byteLength(content)} bytes)`;
}

async function guarded(work: () => string | Promise<string>): Promise<string> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TerritoryError) return `refused: ${error.message}`;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file or folder';
    if (code === 'EISDIR') return 'that is a folder: use list_files';
    return `error: ${(error as Error).message}`;
  }
}

function listFiles(worktree: string, folder: string | undefined): string {
  const start = folder ? resolveInWorktree(worktree, folder).absolute : worktree;
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (found.length >= MAX_LISTED) return;
      if (SKIPPED_FOLDERS.has(entry.name)) continue;
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(absolute);
      else found.push(path.relative(worktree, absolute).split(path.sep).join('/'));
    }
  };
  walk(start);
  return found.length === 0
    ? '(no files)'
    : `${found.join('\n')}${found.length >= MAX_LISTED ? `\n[… listing stopped at ${MAX_LISTED} files]` : ''}`;
}
