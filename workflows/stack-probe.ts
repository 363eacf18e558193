import { proxyActivities } from '@temporalio/workflow';
import type { ProbeActivities, ProbeInput, ProbeReport } from '../activities/probe.js';
import { QUEUE_NAMES, TASK_QUEUES } from '../domain/queues.js';

/** Runs one task on every role queue and reports which worker process served it (model queues make calls only). */
export async function stackProbeWorkflow(input: ProbeInput = {}): Promise<ProbeReport[]> {
  const activityQueues = QUEUE_NAMES.filter((queue) => queue !== 'workflows' && queue !== 'models');
  return Promise.all(
    activityQueues.map((queue) =>
      proxyActivities<ProbeActivities>({
        taskQueue: TASK_QUEUES[queue],
        startToCloseTimeout: '10 minutes',
        heartbeatTimeout: '5 seconds',
        retry: { maximumAttempts: 5, initialInterval: '200 milliseconds' },
      }).probe(input),
    ),
  );
}
