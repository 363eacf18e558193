import { z } from 'zod';
import { projectRouter } from './routers/project.js';
import { subtaskRouter } from './routers/subtask.js';
import { systemRouter } from './routers/system.js';
import { publicProcedure, router } from './trpc.js';

export const appRouter = router({
  health: publicProcedure.output(z.object({ ok: z.literal(true), uptimeSeconds: z.number() })).query(({ ctx }) => ({
    ok: true as const,
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
  })),
  system: systemRouter,
  project: projectRouter,
  subtask: subtaskRouter,
});

export type AppRouter = typeof appRouter;
