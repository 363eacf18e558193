import path from 'node:path';
import type { WorktreeChange } from './git.js';

/**
 * A configured report path as git names it: `./test-results/` is `test-results`, backslashes are
 * slashes. Undefined for one that names no path inside the repository (empty, `.`, absolute, `..`):
 * such a report would cover the whole worktree or nothing of it.
 */
export function normaliseReportPath(report: string): string | undefined {
  const normal = path.posix.normalize(report.trim().replaceAll('\\', '/')).replace(/\/+$/, '');
  if (normal === '' || normal === '.' || normal.startsWith('/') || normal === '..' || normal.startsWith('../'))
    return undefined;
  return normal;
}

/** The report paths that name something in the repository, normalised, each once. */
export function normaliseReportPaths(reports: readonly string[]): string[] {
  return [...new Set(reports.map(normaliseReportPath).filter((report): report is string => report !== undefined))];
}

/** Why a changed file is not in an agent's commit. */
export type LeftOutReason = 'outside_territory' | 'report' | 'not_written';

export interface CommitSelection {
  /** What the agent wrote through its tools, in its territory: the commit. */
  commit: WorktreeChange[];
  /** What else changed, each with its reason; all of it is put back before the commit. */
  leftOut: Array<WorktreeChange & { reason: LeftOutReason }>;
}

/**
 * Which of a worktree's changes an agent's commit holds: only files the agent wrote through its
 * tools, inside its role's territory, and never a test report. Anything else changed because a
 * command ran (the reports, coverage, caches, a test that rewrites a file) and is left out.
 */
export function selectForCommit(
  changes: readonly WorktreeChange[],
  rules: {
    /** Paths the agent wrote, relative to the worktree, with forward slashes. */
    written: ReadonlySet<string>;
    inTerritory: (relativePath: string) => boolean;
    /** The project's test report paths (files, or folders that hold them). */
    reports: readonly string[];
  },
): CommitSelection {
  const reports = normaliseReportPaths(rules.reports);
  const isReport = (file: string) => reports.some((report) => file === report || file.startsWith(`${report}/`));
  const selection: CommitSelection = { commit: [], leftOut: [] };
  for (const change of changes) {
    const reason: LeftOutReason | undefined = !rules.inTerritory(change.path)
      ? 'outside_territory'
      : isReport(change.path)
        ? 'report'
        : !rules.written.has(change.path)
          ? 'not_written'
          : undefined;
    if (reason) selection.leftOut.push({ ...change, reason });
    else selection.commit.push(change);
  }
  return selection;
}

/**
 * Paths for a person to read: each one while there are few, else by top folder with its count
 * (`coverage/ (812 files)`), so a coverage folder does not fill the log.
 */
export function describePaths(paths: readonly string[], max = 12): string {
  if (paths.length <= max) return [...paths].sort().join(', ');
  const groups = new Map<string, number>();
  for (const file of paths) {
    const slash = file.indexOf('/');
    const key = slash === -1 ? file : file.slice(0, slash + 1);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const described = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => (key.endsWith('/') ? `${key} (${count} file${count === 1 ? '' : 's'})` : key));
  return described.length <= max
    ? described.join(', ')
    : `${described.slice(0, max).join(', ')} and ${described.length - max} more`;
}
