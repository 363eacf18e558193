// The floor for the handoff figure: two activities on two task queues, nothing else.
import { proxyActivities } from '@temporalio/workflow';

const options = { startToCloseTimeout: '1 minute' } as const;

export async function floorWorkflow(): Promise<void> {
  await proxyActivities<{ first(): Promise<void> }>({ ...options, taskQueue: 'bench-floor-a' }).first();
  await proxyActivities<{ second(): Promise<void> }>({ ...options, taskQueue: 'bench-floor-b' }).second();
}
