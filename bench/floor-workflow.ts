// The floor for the handoff figures: the same hop as a subtask's (an activity completes, the next on
// another queue starts), in a bare workflow whose activities take as long as a subtask's checks.
import { proxyActivities } from '@temporalio/workflow';

const options = { startToCloseTimeout: '1 minute' } as const;

export async function floorWorkflow(hops: number, activityMs: number): Promise<void> {
  const first = proxyActivities<{ first(ms: number): Promise<void> }>({ ...options, taskQueue: 'bench-floor-a' });
  const second = proxyActivities<{ second(ms: number): Promise<void> }>({ ...options, taskQueue: 'bench-floor-b' });
  for (let hop = 0; hop < hops; hop++) {
    await first.first(activityMs);
    await second.second(activityMs);
  }
}
