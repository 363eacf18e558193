import path from 'node:path';
import type { PrismaClient } from '../../data/prisma.js';
import type { LoadedConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/log.js';

/** What the subtask's activities are built from, once per worker process. */
export interface ActivityDeps {
  config: LoadedConfig;
  prisma: PrismaClient;
  log: Logger;
}

/** Where a subtask keeps its files on this machine: command logs, the baseline, evidence. */
export function subtaskFolder(config: LoadedConfig, workflowId: string): string {
  return path.join(config.dataDir, 'subtasks', workflowId);
}

export function worktreeFolder(config: LoadedConfig, project: string, branch: string): string {
  return path.join(config.dataDir, 'worktrees', project, branch.replace(/^maestro\//, ''));
}

export { modelKeyEnvNames } from '../agents/agent-work.js';
