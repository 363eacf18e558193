import type { ProjectConfig } from '../domain/project.js';
import type { Prisma, PrismaClient } from './prisma.js';
import type { SuiteConfig } from '../domain/project.js';
import { ReusePolicy, TestReport } from '../domain/project.js';
import { ProjectSandbox } from '../domain/sandbox.js';
import { z } from 'zod';

export const projectSelect = {
  id: true,
  name: true,
  repoPath: true,
  repoUrl: true,
  baseBranch: true,
  installCommand: true,
  testCommand: true,
  integrationTestCommand: true,
  territories: true,
  settings: true,
  createdAt: true,
} satisfies Prisma.ProjectSelect;

export type ProjectRow = Prisma.ProjectGetPayload<{ select: typeof projectSelect }>;

const ProjectSettings = z
  .object({
    testReport: TestReport.optional(),
    integrationTestReport: TestReport.optional(),
    // Projects stored before the sandbox existed have none: their install command ran with the
    // network then, and still does (a new project says what it wants, `none` by default).
    sandbox: ProjectSandbox.prefault({ network: 'install' }),
    reuseTestResults: ReusePolicy.default('offline'),
  })
  .loose();
const StoredTerritories = z.object({ tester: z.array(z.string()), developer: z.array(z.string()) });

export async function insertProject(
  prisma: PrismaClient,
  config: ProjectConfig,
  repoPath: string,
  repoUrl: string | undefined,
): Promise<ProjectRow> {
  return prisma.project.create({
    data: {
      name: config.name,
      repoPath,
      repoUrl,
      baseBranch: config.baseBranch,
      installCommand: config.installCommand,
      testCommand: config.testCommand,
      integrationTestCommand: config.integrationTestCommand,
      territories: config.territories,
      settings: {
        testReport: config.testReport,
        integrationTestReport: config.integrationTestReport,
        ...(config.budget ? { budget: config.budget } : {}),
        sandbox: config.sandbox,
        reuseTestResults: config.reuseTestResults,
      },
    },
    select: projectSelect,
  });
}

/** The suites of a project as the runner takes them: unit, then integration when it has its own command. */
export function projectSuites(project: ProjectRow): SuiteConfig[] {
  const settings = ProjectSettings.parse(project.settings ?? {});
  return [
    { suite: 'unit', command: project.testCommand, report: settings.testReport },
    ...(project.integrationTestCommand
      ? [
          {
            suite: 'integration' as const,
            command: project.integrationTestCommand,
            report: settings.integrationTestReport,
          },
        ]
      : []),
  ];
}

export function projectTerritories(project: ProjectRow): { tester: string[]; developer: string[] } {
  return StoredTerritories.parse(project.territories);
}

/** A project's sandbox setting, read when its commands run (a project stored without one: `install`). */
export async function projectSandboxOf(prisma: PrismaClient, projectId: string): Promise<ProjectSandbox> {
  const row = await prisma.project.findUnique({ where: { id: projectId }, select: { settings: true } });
  return ProjectSettings.parse(row?.settings ?? {}).sandbox;
}

/** Whether a project's checks may reuse an earlier run's result (`ReusePolicy`). */
export async function projectReusePolicyOf(prisma: PrismaClient, projectId: string): Promise<ReusePolicy> {
  const row = await prisma.project.findUnique({ where: { id: projectId }, select: { settings: true } });
  return ProjectSettings.parse(row?.settings ?? {}).reuseTestResults;
}

/** The sandbox setting stored in a project's settings (the one read for a project stored without one). */
export function storedProjectSandbox(settings: unknown): ProjectSandbox {
  return ProjectSettings.parse(settings ?? {}).sandbox;
}
