import { z } from 'zod';
import { agentRouter } from './routers/agent.js';
import { authRouter } from './routers/auth.js';
import { boardRouter } from './routers/board.js';
import { costsRouter } from './routers/costs.js';
import { councilRouter } from './routers/council.js';
import { escalationRouter } from './routers/escalation.js';
import { eventsRouter } from './routers/events.js';
import { inboxRouter } from './routers/inbox.js';
import { metricsRouter } from './routers/metrics.js';
import { queuesRouter } from './routers/queues.js';
import { modelsRouter } from './routers/models.js';
import { projectRouter } from './routers/project.js';
import { subtaskRouter } from './routers/subtask.js';
import { systemRouter } from './routers/system.js';
import { tokensRouter } from './routers/tokens.js';
import { usersRouter } from './routers/users.js';
import { publicProcedure, router } from './trpc.js';

export const appRouter = router({
  health: publicProcedure.output(z.object({ ok: z.literal(true), uptimeSeconds: z.number() })).query(({ ctx }) => ({
    ok: true as const,
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
  })),
  system: systemRouter,
  project: projectRouter,
  subtask: subtaskRouter,
  costs: costsRouter,
  models: modelsRouter,
  agent: agentRouter,
  council: councilRouter,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  board: boardRouter,
  inbox: inboxRouter,
  escalation: escalationRouter,
  queues: queuesRouter,
  metrics: metricsRouter,
  events: eventsRouter,
});

export type AppRouter = typeof appRouter;
