import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { createLedgerActivities } from '../activities/models/ledger-activities.js';
import { createProgressActivities } from '../activities/subtask/progress.js';
import { projectRoot } from '../runtime/project-root.js';
import { StackError } from '../runtime/errors.js';
import { baseWorkerOptions, type WorkerContext } from './context.js';
import { ensureMaestroNamespace } from './temporal-namespace.js';

/** maestro-workflows: the deterministic workflow code, from the bundle `npm run build` makes. */
export async function createWorkflowsWorker(context: WorkerContext): Promise<Worker> {
  await ensureMaestroNamespace(context.connection, context.namespace, context.log);
  const settings = context.config.workers.queues.workflows;
  return Worker.create({
    ...baseWorkerOptions(context, 'workflows'),
    workflowBundle: { codePath: workflowBundlePath() },
    maxConcurrentWorkflowTaskExecutions: settings.maxConcurrentWorkflowTasks,
    maxCachedWorkflows: settings.maxCachedWorkflows,
    maxConcurrentLocalActivityExecutions: settings.maxConcurrentLocalActivities,
    // Local activities: the workflows' own writes to the read model, and the ledger's.
    activities: {
      ...createProgressActivities({ prisma: context.prisma(), config: context.config }),
      ...createLedgerActivities({ prisma: context.prisma() }),
    },
  });
}

function workflowBundlePath(): string {
  const bundle = path.join(projectRoot(), 'dist', 'workflow-bundle.js');
  if (!existsSync(bundle)) throw new StackError(`The workflow bundle ${bundle} is missing: run \`npm run build\`.`);
  return bundle;
}
