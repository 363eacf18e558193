import { listQueues } from '../queue-stats.js';
import { readProcedure, router } from '../trpc.js';

export const queuesRouter = router({
  /** Every Maestro task queue (roles, and one per served model) with its backlog and its pollers, from Temporal. */
  list: readProcedure.query(({ ctx }) => listQueues(ctx)),
});
