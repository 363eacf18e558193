import { BoardFilter, listBoard } from '../board.js';
import { readProcedure, router } from '../trpc.js';

export const boardRouter = router({
  /**
   * The board: subtasks newest activity first with status, phase, checklist progress, risk, who acts,
   * cost so far and age; the counts per status; filtered by project, status and risk, searched by
   * key, title and description; a page at a time (`cursor` from `nextCursor`).
   */
  list: readProcedure.input(BoardFilter.prefault({})).query(({ ctx, input }) => listBoard(ctx.prisma, input)),
});
