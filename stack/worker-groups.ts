import type { QueueName } from '../domain/queues.js';

export interface WorkerGroup {
  name: string;
  queues: QueueName[];
}

/** One supervised process per configured group; a group listed twice runs twice, numbered. */
export function workerGroups(processes: QueueName[][]): WorkerGroup[] {
  const seen = new Map<string, number>();
  return processes.map((queues) => {
    const base = `worker:${queues.join('+')}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return { name: count === 1 ? base : `${base}#${count}`, queues };
  });
}
