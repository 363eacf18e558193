import { tsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One activity of a history (or of several: a subtask's and its agent runs'), by its times. */
export interface ActivityTimes {
  type: string;
  taskQueue: string;
  scheduledAt: number;
  startedAt?: number;
  completedAt?: number;
}

export const timeOf = (event: HistoryEvent) => tsToMs(event.eventTime!);

/** The activities of one history, with when each was scheduled, (last) started and completed. */
export function activitiesOf(events: HistoryEvent[]): ActivityTimes[] {
  const byId = new Map<number, ActivityTimes>();
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled)
      byId.set(Number(event.eventId), {
        type: scheduled.activityType!.name!,
        taskQueue: scheduled.taskQueue!.name!,
        scheduledAt: timeOf(event),
      });
    const started = event.activityTaskStartedEventAttributes;
    const startedActivity = started && byId.get(Number(started.scheduledEventId));
    if (startedActivity) startedActivity.startedAt = timeOf(event);
    const completed = event.activityTaskCompletedEventAttributes;
    const completedActivity = completed && byId.get(Number(completed.scheduledEventId));
    if (completedActivity) completedActivity.completedAt = timeOf(event);
  }
  return [...byId.values()];
}

/** For each completed activity of a `from` type, the time until the next activity of a `to` type starts. */
export function hops(activities: ActivityTimes[], from: string[], to: string[]): number[] {
  const starts = activities
    .filter((activity) => to.includes(activity.type) && activity.startedAt !== undefined)
    .map((activity) => activity.startedAt!)
    .sort((a, b) => a - b);
  return activities
    .filter((activity) => from.includes(activity.type) && activity.completedAt !== undefined)
    .flatMap((activity) => {
      const next = starts.find((start) => start >= activity.completedAt!);
      return next === undefined ? [] : [next - activity.completedAt!];
    });
}

/** Time inside activities (started -> completed): what the model, commands and git take. */
export function timeInside(activities: ActivityTimes[], types?: string[]): number {
  return activities
    .filter((activity) => activity.completedAt !== undefined && (!types || types.includes(activity.type)))
    .reduce((sum, activity) => sum + activity.completedAt! - (activity.startedAt ?? activity.completedAt!), 0);
}

/** Time activities waited for a worker: scheduled -> started. */
export function queueWaits(activities: ActivityTimes[], types: string[]): number[] {
  return activities
    .filter((activity) => types.includes(activity.type) && activity.startedAt !== undefined)
    .map((activity) => activity.startedAt! - activity.scheduledAt);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summary(values: number[]): string {
  return `p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms (n=${values.length})`;
}
