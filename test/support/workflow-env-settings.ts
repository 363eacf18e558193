import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { LADDER_OF_EARLIER_SUBTASKS, type LadderSettings } from '../../domain/escalation.js';
import { DEFAULT_PHASES, type PhaseDefinition } from '../../domain/phases.js';
import { type LoadedConfig, loadConfig } from '../../runtime/config.js';
import type { SubtaskSettings } from '../../workflows/subtask/subtask.shared.js';

/** Council members and a spare model, all served by the scripted endpoint (provider `custom`). */
export const MODELS = { tactical: 'scripted', members: ['member-a', 'member-b'], spare: 'member-c' } as const;
/** A queue a role can be reassigned to; a developer worker of the real factory's activities polls it. */
export const SPARE_DEVELOPER_QUEUE = 'maestro-developer-spare';

export const GREEN_ONLY: PhaseDefinition[] = DEFAULT_PHASES.filter(
  (phase) => phase.name === 'green' || phase.name === 'complete',
);
export const GREEN_REFACTOR: PhaseDefinition[] = DEFAULT_PHASES.filter((phase) =>
  ['green', 'refactor', 'complete'].includes(phase.name),
);

export const REMINDER_NEVER_MS = 10 * 60_000;

export const SETTINGS: SubtaskSettings = {
  maxAttempts: 2,
  retryBackoffMs: 50,
  retryBackoffMaxMs: 200,
  heartbeatTimeoutMs: 3_000,
  agentTimeoutMs: 120_000,
  checkTimeoutMs: 120_000,
};

/**
 * Every upper tier off (a person right after the retries); tests switch tiers on. Reminders every
 * ten minutes, which no test waits for: with reminderMs 0 an answered escalation never ends (see
 * the reminders test in ladder.test.ts).
 */
export const LADDER: LadderSettings = {
  ...LADDER_OF_EARLIER_SUBTASKS,
  reviewAttempts: 1,
  reminderMs: REMINDER_NEVER_MS,
  council: {
    enabled: false,
    members: [...MODELS.members],
    size: 2,
    strategy: 'test_winner',
    judge: [],
    memberTimeoutMs: 60_000,
    maxCostUsd: 5,
  },
};

const free = { contextWindow: 128_000, inputPerMillion: 0, outputPerMillion: 0, toolCalling: true, maxConcurrent: 4 };

/** Maestro's config for a workflow environment, written in its folder: every model on the scripted endpoint. */
export function loadTestConfig(
  folder: string,
  endpoints: { modelBaseUrl: string; databaseUrl: string; temporalAddress: string },
): LoadedConfig {
  const configFile = path.join(folder, 'maestro.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      models: {
        registry: Object.fromEntries(
          [...MODELS.members, MODELS.spare].map((id) => [id, { ...free, provider: 'custom' }]),
        ),
        // Unscripted calls fail on purpose in some tests: they must not open the provider's circuit for the others.
        circuit: { failureThreshold: 1_000 },
        // A model a person can choose that has not tried the phase: "retry with another model".
        routing: { strongest: [MODELS.tactical, MODELS.spare] },
        maxSteps: 6,
      },
      budgets: { councilDailyUsd: 1_000 },
      workers: { queues: { runner: { maxConcurrentActivities: 4 } } },
    }),
  );
  return loadConfig({
    cwd: folder,
    env: {
      MAESTRO_CONFIG: configFile,
      MAESTRO_MODEL_BASE_URL: endpoints.modelBaseUrl,
      MAESTRO_MODEL: MODELS.tactical,
      MAESTRO_DATA_DIR: path.join(folder, 'data'),
      DATABASE_URL: endpoints.databaseUrl,
      TEMPORAL_ADDRESS: endpoints.temporalAddress,
      TEMPORAL_NAMESPACE: 'maestro',
      MAESTRO_LOG_LEVEL: 'warn',
    },
  });
}
