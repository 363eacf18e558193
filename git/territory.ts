import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

/** A refused file operation; its message goes back to the agent, which can correct itself. */
export class TerritoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerritoryError';
  }
}

/** `!glob` excludes; a path is in the territory when some glob allows it and none excludes it. */
export function territoryMatcher(globs: readonly string[]): (relativePath: string) => boolean {
  const allowed = globs.filter((glob) => !glob.startsWith('!'));
  const denied = globs.filter((glob) => glob.startsWith('!')).map((glob) => glob.slice(1));
  const isAllowed = allowed.length > 0 ? picomatch(allowed, { dot: true }) : () => false;
  const isDenied = denied.length > 0 ? picomatch(denied, { dot: true }) : () => false;
  return (relativePath) => isAllowed(relativePath) && !isDenied(relativePath);
}

/**
 * Where an agent may read: inside the worktree, after following symlinks, never `.git`. Returns
 * the absolute path and the path relative to the worktree.
 */
export function resolveInWorktree(worktree: string, requested: string): { absolute: string; relative: string } {
  if (typeof requested !== 'string' || requested.trim() === '' || requested.includes('\0')) {
    throw new TerritoryError('give a path relative to the repository root, like src/cart.js');
  }
  const cleaned = requested.replaceAll('\\', '/').replace(/^\.\//, '');
  if (path.posix.isAbsolute(cleaned))
    throw new TerritoryError(`${requested} is absolute: give a path relative to the repository root`);
  const root = realpathSync(worktree);
  const target = path.resolve(root, cleaned);
  if (!isInside(root, target)) throw new TerritoryError(`${requested} is outside the repository`);
  const resolved = whereItLeads(target);
  if (!isInside(root, resolved))
    throw new TerritoryError(`${requested} leads outside the repository through a symbolic link`);
  const relative = path.relative(root, resolved).split(path.sep).join('/');
  if (relative === '') throw new TerritoryError(`${requested} is the repository itself, not a file`);
  if (relative.split('/').includes('.git'))
    throw new TerritoryError(`${requested} is inside .git, which agents do not touch`);
  return { absolute: resolved, relative };
}

/** Where an agent may write: inside the worktree and inside its role's territory. */
export function resolveForWrite(
  worktree: string,
  requested: string,
  role: string,
  territory: readonly string[],
): string {
  const { absolute, relative } = resolveInWorktree(worktree, requested);
  if (!territoryMatcher(territory)(relative)) {
    throw new TerritoryError(
      `${relative} is outside the ${role}'s territory (${territory.join(', ')}): ${role === 'tester' ? 'testers write tests only' : 'leave this file to its owner'}`,
    );
  }
  return absolute;
}

/** A path `resolveForWrite` returned, relative to the worktree as git names it (forward slashes, symbolic links followed). */
export function worktreeRelative(worktree: string, absolute: string): string {
  return path.relative(realpathSync(worktree), absolute).split(path.sep).join('/');
}

/** The real path a write to `target` would reach, following symbolic links, dangling ones too. */
function whereItLeads(target: string, depth = 0): string {
  if (depth > 20) throw new TerritoryError('too many symbolic links');
  const stat = lstatOrUndefined(target);
  if (stat?.isSymbolicLink()) return whereItLeads(path.resolve(path.dirname(target), readlinkSync(target)), depth + 1);
  if (stat) return realpathSync(target);
  // It does not exist yet: it lands wherever its parent really is.
  return path.join(whereItLeads(path.dirname(target), depth), path.basename(target));
}

function lstatOrUndefined(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(`${root}${path.sep}`);
}
