import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, test } from 'vitest';
import { projectRoot } from '../runtime/project-root.js';

/**
 * Histories recorded from real runs (`RECORD_HISTORIES=1 npm test` writes them) are replayed on
 * today's workflow code: a change that would break running workflows fails here. Change workflow
 * logic with patched(), and keep the old histories.
 */
const folder = path.join(projectRoot(), 'test', 'histories');
const histories = readdirSync(folder)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ name: file.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(readFileSync(path.join(folder, file), 'utf8'))) }))
  .map((entry) => ({ ...entry, workflowId: workflowIdOf(entry.name) }));

/** The recorded workflow's id, when it was kept beside its history (`<name>.id`); else the name. */
function workflowIdOf(name: string): string {
  const file = path.join(folder, `${name}.id`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : name;
}
const bundle = { codePath: path.join(projectRoot(), 'dist', 'workflow-bundle.js') };
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('replaying recorded histories', () => {
  test('there are histories of the subtask workflow to replay', () => {
    expect(histories.map((entry) => entry.name)).toEqual(expect.arrayContaining(['happy-path', 'green-blocked-then-retried', 'high-risk-overrides']));
  });

  test.each(histories.map((entry) => [entry.name, entry.history, entry.workflowId] as const))('%s replays on the current workflow code', async (_name, history, workflowId) => {
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });

  test('a workflow whose logic changed without patched() fails the replay', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: path.join(projectRoot(), 'test', 'fixtures', 'changed-subtask-workflow.ts'), logger: silent });
    const happy = histories.find((entry) => entry.name === 'happy-path')!;
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, happy.history, 'happy-path')).rejects.toMatchObject({ name: 'DeterminismViolationError' });
  });
});
