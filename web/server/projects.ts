import { chmodSync, existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { budgetLimitsProblem } from '../../domain/budget.js';
import { type ProjectConfig, isRemoteRepository } from '../../domain/project.js';
import { projectBudgetLimits } from '../../data/costs.js';
import { SecretScrubber, redactUrl } from '../../domain/redact.js';
import { type RepositoryCredentials, splitRepositoryUrl } from '../../domain/repository-url.js';
import { CloneTimeoutError, branchExists, cloneRepository, git, isWorkTree, topLevel } from '../../git/git.js';
import { type ProjectRow, insertProject, projectSuites, storedProjectSandbox } from '../../data/projects.js';
import type { ProjectSandbox } from '../../domain/sandbox.js';
import { DEFAULT_PHASES, type PhasePlan, describePhasePlan, planPhases } from '../../domain/phases.js';
import { changeProjectSetting } from './project-settings.js';
import type { Context } from './trpc.js';

/**
 * Registers a target repository after checking what a subtask will need from it: a git repository
 * (cloned into the data folder when given as a URL) with the base branch, and the commands.
 */
export async function createProject(
  ctx: Context,
  input: ProjectConfig,
): Promise<ProjectRow & { phases: PhasePlan & { summary: string } }> {
  if (input.budget) {
    const problem = budgetLimitsProblem(projectBudgetLimits({ budget: input.budget }, ctx.config.budgets));
    if (problem) throw bad(`budget: ${problem}`);
  }
  if (await ctx.prisma.project.findUnique({ where: { name: input.name }, select: { id: true } })) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `A project named ${input.name} exists already: pick another name.`,
    });
  }
  let repoPath: string;
  let repoUrl: string | undefined;
  if (isRemoteRepository(input.repository)) {
    // A user name and password (or token) in the URL go to git through its environment for the
    // clone alone: the clone's config, the database and every message get the URL without them.
    const { url, credentials } = splitRepositoryUrl(input.repository);
    repoUrl = redactUrl(url);
    repoPath = path.join(ctx.config.dataDir, 'repos', input.name);
    if (!(await isWorkTree(repoPath))) await clone(ctx, url, credentials, repoPath);
  } else {
    repoPath = path.resolve(input.repository);
    if (!existsSync(repoPath))
      throw bad(`${repoPath} does not exist: give the path of a git repository, or a URL to clone.`);
    if (!(await isWorkTree(repoPath)))
      throw bad(`${repoPath} is not a git repository: run \`git init\` there, or give a URL to clone.`);
    const root = await topLevel(repoPath);
    if (realpathSync(root) !== realpathSync(repoPath))
      throw bad(`${repoPath} is inside the repository ${root}: give the repository's root.`);
  }
  if (!(await branchExists(repoPath, input.baseBranch))) {
    const branches = (await git(repoPath, ['branch', '--format=%(refname:short)'])).split('\n').filter(Boolean);
    throw bad(
      branches.length === 0
        ? `${repoPath} has no commits yet: commit something on ${input.baseBranch} first.`
        : `The branch ${input.baseBranch} does not exist in ${repoPath}; its branches are ${branches.join(', ')}: set baseBranch to one of them.`,
    );
  }
  const row = await insertProject(ctx.prisma, input, realpathSync(repoPath), repoUrl);
  return { ...row, phases: projectPhases(row) };
}

/** Clones into the data folder, private to the user; a clone that fails or runs out of time leaves no folder. */
async function clone(
  ctx: Context,
  url: string,
  credentials: RepositoryCredentials | undefined,
  repoPath: string,
): Promise<void> {
  const repos = path.dirname(repoPath);
  mkdirSync(repos, { recursive: true, mode: 0o700 });
  chmodSync(repos, 0o700);
  const existed = existsSync(repoPath);
  const timeoutMs = ctx.config.repositories.cloneTimeoutMs;
  try {
    await cloneRepository(url, repoPath, { credentials, timeoutMs });
    chmodSync(repoPath, 0o700);
  } catch (error) {
    if (!existed) rmSync(repoPath, { recursive: true, force: true });
    const shown = redactUrl(url);
    if (error instanceof CloneTimeoutError)
      throw bad(
        `Cloning ${shown} gave no result within ${Math.round(timeoutMs / 1000)} s (a silent or very slow server) and was stopped: check the URL, or raise repositories.cloneTimeoutMs (env MAESTRO_CLONE_TIMEOUT_MS, now ${timeoutMs}) for a big repository.`,
      );
    const scrubber = new SecretScrubber().with([credentials?.password, credentials?.username]);
    throw bad(`Could not clone ${shown}: ${scrubber.scrub((error as Error).message)}`);
  }
}

/** Which phases the project's subtasks run, and why the others are left out, also in one sentence. */
export function projectPhases(row: ProjectRow): PhasePlan & { summary: string } {
  const { plan } = planPhases(
    DEFAULT_PHASES,
    projectSuites(row).map((suite) => suite.suite),
  );
  return { ...plan, summary: describePhasePlan(plan) };
}

function bad(message: string): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message });
}

/**
 * Changes which of a project's commands get the network in the sandbox, and writes who did it,
 * why, and what it was to the audit log. The next command reads it: nothing running is told.
 */
export async function setProjectSandbox(
  ctx: Context,
  name: string,
  change: ProjectSandbox,
  actor: string,
  reason: string,
): Promise<{ project: string; sandbox: ProjectSandbox; before: ProjectSandbox }> {
  const project = await ctx.prisma.project.findUnique({ where: { name }, select: { id: true, name: true } });
  if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: `No project named ${name}.` });
  return changeProjectSetting(ctx, project.id, 'sandbox', (stored) => {
    const before = storedProjectSandbox(stored);
    const after: ProjectSandbox = { ...before, ...change };
    return {
      value: after,
      event: {
        actor,
        kind: 'sandbox.changed',
        message: `sandbox of ${project.name}: network ${after.network} (was ${before.network}): ${reason}`,
        data: { before, after, reason },
      },
      result: { project: project.name, sandbox: after, before },
    };
  });
}
