import { z } from 'zod';
import { budgetLimitsProblem } from './budget.js';
import { ModelId, ModelsSettings } from './config-models.js';
import { COUNCIL_STRATEGIES } from './escalation.js';
import { PHASE_NAMES } from './phases.js';
import { QUEUE_NAMES } from './queues.js';
import { SandboxMode } from './sandbox.js';

/**
 * The one configuration schema of Maestro. Values come from an optional `maestro.config.json` and
 * from environment variables (which win; see config-env.ts), merged by resolveConfig
 * (config-resolve.ts). Everything else reads the parsed object, never the env.
 */

const Port = z.int('expected a whole port number').min(1, 'ports start at 1').max(65535, 'ports end at 65535');
const Host = z.string().min(1, 'must not be empty');
const HostPort = z
  .string()
  .regex(/^([^\s:[\]]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/, 'expected host:port, for example temporal.example.com:7233')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, 'the port ends at 65535');
const PostgresUrl = z
  .string()
  .regex(
    /^postgres(ql)?:\/\/\S+$/,
    'expected a postgresql:// URL, for example postgresql://user:password@host:5432/maestro',
  );
export const AUTH_MODES = ['auto', 'required'] as const;

export const LogLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

/** A queue's slots; without `maxConcurrentActivities`, sized from the machine's cores (`defaultActivitySlots`). */
const ActivityQueueSettings = () =>
  z
    .strictObject({
      maxConcurrentActivities: z.int().min(1).optional(),
      maxActivitiesPerSecond: z.number().positive().optional(),
    })
    .prefault({});

const WorkflowQueueSettings = z
  .strictObject({
    maxConcurrentWorkflowTasks: z.int().min(1).default(40),
    maxCachedWorkflows: z.int().min(0).default(1000),
    maxConcurrentLocalActivities: z.int().min(1).default(100),
  })
  .prefault({});

/** A queue name as configuration and flags give it. */
export const QueueName = z.enum(QUEUE_NAMES, {
  error: (issue) => `unknown queue ${JSON.stringify(issue.input)}; the queues are ${QUEUE_NAMES.join(', ')}`,
});
export type QueueName = z.infer<typeof QueueName>;

const Usd = z
  .number('expected an amount in dollars')
  .min(0, 'a budget cannot be negative')
  .max(1_000_000, 'at most $1,000,000');

/**
 * Two processes by default: the workflow engine and the model gateway, whose tasks are short and
 * wait on the network, apart from the agents' worktrees, the runner and the council, which run the
 * projects' code and git (a workflow task never waits behind a test run's CPU, and only the first
 * process holds the model keys). One process per queue is how a cluster scales.
 */
export const DEFAULT_WORKER_PROCESSES: QueueName[][] = [
  ['workflows', 'models'],
  ['orchestrator', 'tester', 'developer', 'runner', 'council'],
];

/**
 * Slots from the machine's cores: test commands are CPU-bound (one per core on the runner); the
 * agents' and the council's activities mostly wait on git and the tests their tools start.
 */
export function defaultActivitySlots(cores: number) {
  const perCore = (times: number, atLeast: number) => Math.max(atLeast, Math.round(cores * times));
  return {
    orchestrator: perCore(10, 20),
    tester: perCore(2, 4),
    developer: perCore(2, 4),
    runner: perCore(1, 1),
    council: perCore(3, 6),
  } satisfies Record<Exclude<QueueName, 'workflows' | 'models'>, number>;
}

export const MaestroConfig = z
  .strictObject({
    dataDir: z.string().min(1).default('.maestro/data'),
    binDir: z.string().min(1).default('.maestro/bin'),
    logLevel: LogLevel.default('info'),
    temporal: z
      .strictObject({
        address: HostPort.optional(),
        namespace: z
          .string()
          .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$/, 'letters, digits, dot, dash and underscore only')
          .default('maestro'),
        cliPath: z.string().min(1).optional(),
        host: Host.default('127.0.0.1'),
        port: Port.default(7233),
        uiPort: Port.default(8233),
        httpPort: Port.default(7243),
        ui: z.boolean().default(true),
        /** Where people open the Temporal UI of a cluster given by `address`. */
        uiUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
      })
      .prefault({}),
    database: z
      .strictObject({
        url: PostgresUrl.optional(),
        port: Port.default(55432),
      })
      .prefault({}),
    api: z
      .strictObject({
        host: Host.default('127.0.0.1'),
        port: Port.default(4800),
        /**
         * `auto`: a request without credentials acts as the local admin while the API listens on a
         * loopback address, and must sign in otherwise; `required`: every request must sign in.
         */
        auth: z.enum(AUTH_MODES, { error: () => `auth is one of ${AUTH_MODES.join(', ')}` }).default('auto'),
      })
      .prefault({}),
    models: ModelsSettings,
    /** The scripted model of the offline demo: on a port of its own, the same at every start (running work calls it there). */
    demoModel: z.strictObject({ port: Port.default(4810) }).prefault({}),
    budgets: z
      .strictObject({
        softUsd: Usd.default(20),
        hardUsd: Usd.default(50),
        emergencyUsd: Usd.default(100),
        /** What councils may spend in a day (UTC), all projects together. */
        councilDailyUsd: Usd.default(5),
      })
      .prefault({})
      .superRefine((limits, ctx) => {
        const problem = budgetLimitsProblem(limits);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    escalation: z
      .strictObject({
        strategicReview: z.boolean().default(true),
        reviewAttempts: z.int().min(1).max(5).default(1),
        council: z
          .strictObject({
            enabled: z.boolean().default(true),
            members: z.array(ModelId).default([]),
            size: z.int().min(2, 'a council has at least two members').max(6).default(3),
            strategy: z
              .enum(COUNCIL_STRATEGIES, { error: () => `strategy is one of ${COUNCIL_STRATEGIES.join(', ')}` })
              .default('test_winner'),
            judge: z.array(ModelId).default([]),
            memberTimeoutMs: z
              .int()
              .min(5_000)
              .default(10 * 60_000),
            maxCostUsd: Usd.default(2),
          })
          .prefault({}),
        reminderMs: z
          .int()
          .refine((ms) => ms === 0 || ms >= 5_000, 'reminderMs is 0 (no reminders) or at least 5000 (5 seconds)')
          .default(4 * 60 * 60_000),
        phases: z
          .partialRecord(
            z.enum(PHASE_NAMES),
            z.strictObject({ strategicReview: z.boolean().optional(), council: z.boolean().optional() }),
          )
          .default({}),
      })
      .prefault({}),
    commands: z
      .strictObject({
        silenceWarningMs: z.int().min(100).default(30_000),
        silenceKillMs: z.int().min(100).default(60_000),
        maxDurationMs: z
          .int()
          .min(1_000)
          .default(30 * 60_000),
      })
      .prefault({}),
    repositories: z
      .strictObject({
        /** How long cloning a repository URL (project.create) may take before it is given up and removed. */
        cloneTimeoutMs: z.int().min(1_000, 'at least 1000 (1 second)').default(120_000),
      })
      .prefault({}),
    /** Project commands in a bubblewrap sandbox: required, optional (unsandboxed where it cannot be, said loudly) or off. */
    sandbox: SandboxMode.default('optional'),
    subtasks: z
      .strictObject({
        maxAttempts: z.int().min(1).max(20).default(3),
        retryBackoffMs: z.int().min(0).default(2_000),
        retryBackoffMaxMs: z.int().min(0).default(60_000),
        heartbeatTimeoutMs: z.int().min(1_000).default(30_000),
      })
      .prefault({}),
    workers: z
      .strictObject({
        processes: z
          .array(z.array(QueueName).min(1, 'a worker process needs at least one queue'))
          .min(1)
          .default(DEFAULT_WORKER_PROCESSES)
          .superRefine((groups, ctx) => {
            const hosted = new Set(groups.flat());
            const missing = QUEUE_NAMES.filter((queue) => !hosted.has(queue));
            if (missing.length > 0) {
              ctx.addIssue({
                code: 'custom',
                message: `every queue needs a worker process; add ${missing.join(', ')} to a group`,
              });
            }
          }),
        queues: z
          .strictObject({
            workflows: WorkflowQueueSettings,
            orchestrator: ActivityQueueSettings(),
            tester: ActivityQueueSettings(),
            developer: ActivityQueueSettings(),
            runner: ActivityQueueSettings(),
            council: ActivityQueueSettings(),
          })
          .prefault({}),
        shutdownGraceMs: z.int().min(0).default(30_000),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const used = new Map<number, string>();
    const claim = (port: number, path: string[]) => {
      const other = used.get(port);
      if (other) {
        ctx.addIssue({ code: 'custom', path, message: `port ${port} is also used by ${other}; pick another` });
      } else {
        used.set(port, path.join('.'));
      }
    };
    claim(config.api.port, ['api', 'port']);
    if (!config.temporal.address) {
      claim(config.temporal.port, ['temporal', 'port']);
      claim(config.temporal.httpPort, ['temporal', 'httpPort']);
      if (config.temporal.ui) claim(config.temporal.uiPort, ['temporal', 'uiPort']);
    }
    if (!config.database.url) claim(config.database.port, ['database', 'port']);
    // With no endpoint of its own configured, the stack may play the demo (keys are not known here).
    if (!config.models.baseUrl) claim(config.demoModel.port, ['demoModel', 'port']);
    for (const [key, ids] of [
      ['members', config.escalation.council.members],
      ['judge', config.escalation.council.judge],
    ] as const) {
      for (const id of ids) {
        if (!config.models.registry[id])
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', 'council', key],
            message: `${id} is not in the model registry (models.registry)`,
          });
      }
    }
  });
export type MaestroConfig = z.infer<typeof MaestroConfig>;
