import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, test } from 'vitest';
import { type SubtaskStatus, canTransition } from '../domain/lifecycle.js';
import { projectRoot } from '../runtime/project-root.js';

/**
 * Histories recorded from real runs (`RECORD_HISTORIES=1 npm test` writes them) are replayed on
 * today's workflow code: a change that would break running workflows fails here. Change workflow
 * logic with patched(), and keep the old histories.
 */
const folder = path.join(projectRoot(), 'test', 'histories');
const histories = readdirSync(folder)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({
    name: file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(path.join(folder, file), 'utf8'))),
  }))
  .map((entry) => ({ ...entry, workflowId: workflowIdOf(entry.name) }));

/** The recorded workflow's id, when it was kept beside its history (`<name>.id`); else the name. */
function workflowIdOf(name: string): string {
  const file = path.join(folder, `${name}.id`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : name;
}

type History = (typeof histories)[number]['history'];

/** A subtask's statuses in order, from pending: every transition (and the cancel) sets the MaestroStatus search attribute. */
function statusesOf(history: History): SubtaskStatus[] {
  const statuses: SubtaskStatus[] = ['pending'];
  for (const event of history.events ?? []) {
    const payload = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.MaestroStatus;
    if (payload) statuses.push(defaultPayloadConverter.fromPayload<SubtaskStatus>(payload));
  }
  return statuses;
}
const subtaskHistories = histories.filter(
  (entry) =>
    entry.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name === 'subtaskWorkflow',
);

const bundle = { codePath: path.join(projectRoot(), 'dist', 'workflow-bundle.js') };
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('replaying recorded histories', () => {
  test('there are histories of the subtask workflow to replay', () => {
    expect(histories.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['happy-path', 'green-blocked-then-retried', 'high-risk-overrides']),
    );
  });

  test.each(histories.map((entry) => [entry.name, entry.history, entry.workflowId] as const))(
    '%s replays on the current workflow code',
    async (_name, history, workflowId) => {
      await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
    },
  );

  test('every status change in a recorded subtask history is a transition the lifecycle allows', () => {
    expect(subtaskHistories.length).toBeGreaterThanOrEqual(14);
    const seen = new Set<string>();
    const illegal: string[] = [];
    for (const { name, history } of subtaskHistories) {
      const statuses = statusesOf(history);
      expect(['completed', 'cancelled'], name).toContain(statuses.at(-1));
      for (let i = 1; i < statuses.length; i++) {
        const [from, to] = [statuses[i - 1]!, statuses[i]!];
        seen.add(`${from} -> ${to}`);
        if (!canTransition(from, to)) illegal.push(`${name}: ${from} -> ${to}`);
      }
    }
    expect(illegal).toEqual([]);
    // The histories do walk the lifecycle: the path, a failure and its retry, a council's winner, a block, a rebase, a cancel.
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'pending -> in_progress',
        'testing -> ready_for_review',
        'ready_for_review -> completed',
        'failed -> retrying',
        'failed -> testing',
        'blocked -> retrying',
        'ready_for_review -> testing',
        'blocked -> cancelled',
      ]),
    );
  });

  test('a workflow whose logic changed without patched() fails the replay', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: path.join(projectRoot(), 'test', 'fixtures', 'changed-subtask-workflow.ts'),
      logger: silent,
    });
    const happy = histories.find((entry) => entry.name === 'happy-path')!;
    await expect(
      Worker.runReplayHistory({ workflowBundle: changed }, happy.history, 'happy-path'),
    ).rejects.toMatchObject({ name: 'DeterminismViolationError' });
  });
});
