import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ActivityRunRecorder } from '../data/activity-runs.js';

/**
 * Times every activity this worker runs (local ones too) and hands the timing to the recorder once
 * the activity has ended: what `metrics.bottlenecks` and `metrics.role` read. The activity's result
 * or error passes through untouched; recording cannot throw into it.
 */
export function activityTimingInterceptor(
  recorder: ActivityRunRecorder,
  role: string | ((args: unknown[]) => string),
): ActivityInterceptorsFactory {
  return (context) => ({
    inbound: {
      async execute(input, next) {
        const startedAt = Date.now();
        let outcome: 'ok' | 'failed' | 'cancelled' = 'ok';
        let errorType: string | undefined;
        try {
          return await next(input);
        } catch (error) {
          outcome = error instanceof CancelledFailure || context.cancellationSignal.aborted ? 'cancelled' : 'failed';
          errorType = errorTypeOf(error);
          throw error;
        } finally {
          try {
            const endedAt = Date.now();
            const { info } = context;
            recorder.record({
              activityType: info.activityType,
              taskQueue: info.taskQueue,
              role: typeof role === 'string' ? role : role(input.args),
              workflowId: info.workflowExecution?.workflowId,
              workflowType: info.workflowType,
              attempt: info.attempt,
              local: info.isLocal,
              startedAt: new Date(startedAt),
              endedAt: new Date(endedAt),
              durationMs: endedAt - startedAt,
              outcome,
              errorType,
            });
          } catch {
            // Timings are for people watching; the activity's outcome must not depend on them.
          }
        }
      },
    },
  });
}

function errorTypeOf(error: unknown): string {
  if (error instanceof ApplicationFailure && error.type) return error.type.slice(0, 200);
  if (error instanceof Error) return error.name.slice(0, 200);
  return typeof error;
}
