import { z } from 'zod';
import type { SuiteName } from './phases.js';
import { ProjectSandbox } from './sandbox.js';
import { TEXT_LIMITS, boundedText, identifier } from './text.js';

export const ProjectName = identifier(
  'a project name',
  /^[a-z0-9][a-z0-9-]{0,39}$/,
  'use lower-case letters, digits and dashes (at most 40), like shop or web-app',
);

/** A path inside the repository: relative, no `..`, forward slashes. */
export const RepoRelativePath = boundedText(TEXT_LIMITS.path, 'a path')
  .min(1)
  .refine(
    (value) => !value.startsWith('/') && !value.split(/[\\/]/).includes('..'),
    'must be a path inside the repository, without ..',
  );

export const BranchName = boundedText(200, 'a branch name')
  .min(1)
  .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<![./])$/, 'is not a valid git branch name');

/** Commands run without a shell (no injection, no surprises): one program and its arguments. */
export const Command = boundedText(TEXT_LIMITS.reason, 'a command', { trim: true })
  .min(1, 'must not be empty')
  .refine(
    (value) => !/(&&|\|\||[|;<>`]|\$\()/.test(value),
    'runs without a shell: put pipes, && or redirections in a script (for example an npm script) and name that',
  );

export const TestReport = z.strictObject({
  /** JUnit XML (most runners), or the JSON of Jest and Vitest (`--reporter=json`). */
  format: z.enum(['junit', 'jest-json']),
  path: RepoRelativePath,
});
export type TestReport = z.infer<typeof TestReport>;

/**
 * When a check may take the result of an earlier run of the same command on the same files instead
 * of running again: when the tests run without the network (the default), always (they read
 * nothing outside the worktree even with it), or never (they read a database, a service, the clock).
 */
export const ReusePolicy = z.enum(['offline', 'always', 'never'], {
  error: 'expected offline, always or never',
});
export type ReusePolicy = z.infer<typeof ReusePolicy>;

/** One test command of a project, as the runner runs it: which suite, the command, and its report. */
export interface SuiteConfig {
  suite: SuiteName;
  command: string;
  report?: TestReport;
}

/** Where the project's test runs write their reports: files a test run makes, never committed or merged. */
export function reportPaths(suites: readonly SuiteConfig[]): string[] {
  return [...new Set(suites.flatMap((suite) => (suite.report ? [suite.report.path] : [])))];
}

export const TERRITORY_ROLES = ['tester', 'developer'] as const;

const TEST_FILES = ['test/**', 'tests/**', '**/*.test.*', '**/*.spec.*', '**/__tests__/**'];

/** Which files a role may write: globs, and `!glob` to exclude. Testers write tests, developers the rest. */
export const DEFAULT_TERRITORIES = {
  tester: TEST_FILES,
  developer: ['**', ...TEST_FILES.map((glob) => `!${glob}`)],
} as const satisfies Record<(typeof TERRITORY_ROLES)[number], readonly string[]>;

const Glob = boundedText(TEXT_LIMITS.path, 'a glob').min(1);

export const Territories = z
  .strictObject({
    tester: z.array(Glob).min(1).max(TEXT_LIMITS.paths, `give at most ${TEXT_LIMITS.paths} globs`),
    developer: z.array(Glob).min(1).max(TEXT_LIMITS.paths, `give at most ${TEXT_LIMITS.paths} globs`),
  })
  .partial()
  .transform((given) => ({
    tester: [...(given.tester ?? DEFAULT_TERRITORIES.tester)],
    developer: [...(given.developer ?? DEFAULT_TERRITORIES.developer)],
  }));
export type Territories = z.infer<typeof Territories>;

/** A project's budget tiers in dollars; a tier left out keeps its configured default. */
const Dollars = z
  .number('expected an amount in dollars')
  .min(0, 'a budget cannot be negative')
  .max(1_000_000, 'at most $1,000,000');
export const BudgetInput = z.strictObject({
  softUsd: Dollars.optional(),
  hardUsd: Dollars.optional(),
  emergencyUsd: Dollars.optional(),
});
export type BudgetInput = z.infer<typeof BudgetInput>;

/** What `project.create` takes. `repository` is a local path to a git repository or a URL to clone. */
export const ProjectInput = z.strictObject({
  name: ProjectName,
  repository: boundedText(2_000, 'the repository', { trim: true })
    .min(1, 'give a local path to a git repository or a URL to clone')
    .refine((value) => !value.startsWith('-'), 'must not start with -: give a path or a URL'),
  baseBranch: BranchName.default('main'),
  installCommand: Command.optional(),
  testCommand: Command,
  testReport: TestReport.optional(),
  integrationTestCommand: Command.optional(),
  integrationTestReport: TestReport.optional(),
  territories: Territories.prefault({}),
  /** Its budget tiers; the configured defaults ($20 soft, $50 hard, $100 emergency) for what is left out. */
  budget: BudgetInput.optional(),
  /** Its commands run sandboxed; which of them may use the network (none by default; `install` for `npm ci`). */
  sandbox: ProjectSandbox.prefault({}),
  reuseTestResults: ReusePolicy.default('offline'),
});
export type ProjectInput = z.input<typeof ProjectInput>;
export type ProjectConfig = z.output<typeof ProjectInput>;

export function isRemoteRepository(repository: string): boolean {
  return /^(https?|ssh|git|file):\/\//.test(repository) || /^\w[\w.-]*@[\w.-]+:/.test(repository);
}
