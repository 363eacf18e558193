/**
 * The task queues of ARCHITECTURE.md, by the short name used in configuration and flags. Workflow
 * code imports this file, so it stays free of libraries (no zod here: see config.ts for the schema).
 */
export const QUEUE_NAMES = ['workflows', 'orchestrator', 'tester', 'developer', 'runner', 'council', 'models'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const TASK_QUEUES = {
  workflows: 'maestro-workflows',
  orchestrator: 'maestro-orchestrator',
  tester: 'maestro-tester',
  developer: 'maestro-developer',
  runner: 'maestro-runner',
  council: 'maestro-council',
  /** Not one queue: a family, `maestro-model-<model id>`, one per model whose provider has its key. */
  models: 'maestro-model-*',
} as const satisfies Record<QueueName, string>;

/** Which kind of task a queue's workers poll: only the workflows queue runs workflow code. */
export function taskKindOf(queue: QueueName): 'workflow' | 'activity' {
  return queue === 'workflows' ? 'workflow' : 'activity';
}

/** Parses `workflows,orchestrator;tester,developer` into groups of queues, one group per process. */
export function parseQueueGroups(text: string): string[][] {
  return text
    .split(';')
    .map((group) =>
      group
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .filter((group) => group.length > 0);
}
