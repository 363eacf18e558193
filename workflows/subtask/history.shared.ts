/**
 * The names the subtask workflow writes into its history, for whoever reads that history (the
 * console's timeline): the activities it schedules, and the local activities whose markers it
 * records. Types only, taken from the activities themselves, so a renamed activity breaks the
 * readers' build instead of their labels; the API may not import activities/, a workflow's
 * contract may import their types.
 */
import type { AgentActivities } from '../../activities/subtask/agent-phase.js';
import type { CheckActivities } from '../../activities/subtask/checks.js';
import type { ProgressActivities } from '../../activities/subtask/progress.js';
import type { ReviewActivities } from '../../activities/subtask/review.js';
import type { WorkspaceActivities } from '../../activities/subtask/workspace.js';

/** An activity type in a subtask's history (the council's own are in its child workflow's history). */
export type SubtaskActivityName = keyof (WorkspaceActivities & CheckActivities & AgentActivities & ReviewActivities);

/** The activity type of a local-activity marker in a subtask's history: one of its read-model writes. */
export type SubtaskLocalActivityName = keyof ProgressActivities;
