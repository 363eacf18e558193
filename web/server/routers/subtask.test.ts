import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { SUBTASK_STATUSES } from '../../../domain/lifecycle.js';
import { eventually } from '../../../test/support/maestro-process.js';
import { person, refusal, routerHarness, unique } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

const SPEC = {
  key: '1-1',
  title: 'Add tax to the total',
  acceptanceCriteria: ['the total includes tax'],
  risk: 'low' as const,
};

describe('subtask', () => {
  test('state reads the live workflow from Temporal; a subtask that was never started is NOT_FOUND', async () => {
    const reader = harness.as(person('rita', 'reader'));
    // The shared stack runs the offline demo's subtask.
    const state = await eventually(
      () => reader.subtask.state({ project: 'demo', key: '1-1' }).catch(() => undefined),
      60_000,
      'the demo subtask to run',
    );
    expect(state).toMatchObject({
      workflowId: 'subtask-demo-1-1',
      project: 'demo',
      key: '1-1',
      title: expect.any(String),
    });
    expect(SUBTASK_STATUSES).toContain(state.status);
    const row = await harness.prisma.subtask.findUniqueOrThrow({
      where: { workflowId: 'subtask-demo-1-1' },
      select: { id: true },
    });
    expect(state.subtaskId).toBe(row.id);

    const project = unique('never');
    expect(await refusal(reader.subtask.state({ project, key: '9-9' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: `No subtask subtask-${project}-9-9: start it first.`,
    });
    expect(
      await refusal(harness.as(person('rev', 'reviewer')).subtask.approve({ project, key: '9-9', comment: 'fine' })),
    ).toMatchObject({
      code: 'NOT_FOUND',
      message: `No subtask subtask-${project}-9-9: start it first.`,
    });
  });

  test('each change needs its role: approve a reviewer, start an author, any override but an offered one an admin', async () => {
    const project = unique('roles');
    const reader = harness.as(person('rita', 'reader'));
    expect(await refusal(reader.subtask.approve({ project, key: '1-1' }))).toMatchObject({
      code: 'FORBIDDEN',
      message: 'subtask.approve needs the reviewer role; you are reader',
    });
    expect(await refusal(reader.subtask.start({ project, ...SPEC }))).toMatchObject({
      code: 'FORBIDDEN',
      message: 'subtask.start needs the author role; you are reader',
    });
    expect(
      await refusal(
        harness.as(person('ann', 'author')).subtask.reject({ project, key: '1-1', comment: 'no', returnTo: 'red' }),
      ),
    ).toMatchObject({
      code: 'FORBIDDEN',
      message: 'subtask.reject needs the reviewer role; you are author',
    });
    // A reviewer asks the workflow what its escalation offers; a subtask with none offers nothing.
    expect(
      await refusal(
        harness
          .as(person('rev', 'reviewer'))
          .subtask.override({ project, key: '1-1', override: { action: 'pause', reason: 'lunch break' } }),
      ),
    ).toMatchObject({
      code: 'FORBIDDEN',
      message:
        'override pause needs the admin role; you are reviewer (a reviewer may retry, or choose an option an escalation offers, as offered)',
    });
  });

  test('start refuses bad specs, unknown projects and dependencies, saying what to fix; nothing is registered or started', async () => {
    const project = await harness.project('start');
    const author = harness.as(person('ann', 'author'));
    expect((await refusal(author.subtask.start({ project: project.name, ...SPEC, title: 'x' }))).issues).toEqual([
      { path: 'title', message: 'say what the subtask does in a few words' },
    ]);
    expect(
      (await refusal(author.subtask.start({ project: project.name, ...SPEC, acceptanceCriteria: [] }))).issues,
    ).toEqual([{ path: 'acceptanceCriteria', message: 'give at least one acceptance criterion' }]);
    expect((await refusal(author.subtask.start({ project: project.name, ...SPEC, key: '1.1' }))).issues).toEqual([
      { path: 'key', message: 'use a key like 3-1: letters and digits joined by dashes' },
    ]);
    expect(
      (await refusal(author.subtask.start({ project: project.name, ...SPEC, filesInScope: ['../secrets'] }))).issues,
    ).toEqual([{ path: 'filesInScope.0', message: 'must be a path inside the repository, without ..' }]);
    const nowhere = unique('nowhere');
    expect(await refusal(author.subtask.start({ project: nowhere, ...SPEC }))).toMatchObject({
      code: 'NOT_FOUND',
      message: `No project named ${nowhere}: create it first (project.create; on the command line: maestro project add ${nowhere} --repository <path> --test-command "<command>").`,
    });
    expect(
      await refusal(author.subtask.start({ project: project.name, ...SPEC, dependencies: ['1-1'] })),
    ).toMatchObject({ code: 'BAD_REQUEST', message: '1-1 cannot depend on itself.' });
    expect(
      await refusal(author.subtask.start({ project: project.name, ...SPEC, dependencies: ['0-1', '0-2'] })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Unknown dependencies 0-1, 0-2: start those subtasks first.',
    });
    expect(await harness.prisma.subtask.count({ where: { projectId: project.id } })).toBe(0);
    expect(await refusal(author.subtask.state({ project: project.name, key: '1-1' }))).toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  test('bad override input says what to fix', async () => {
    const admin = harness.as();
    const refused = await refusal(
      admin.subtask.override({
        project: unique('ovr'),
        key: '1-1',
        override: { action: 'reassign', reason: 'a faster worker', role: 'developer', taskQueue: 'has spaces' },
      }),
    );
    expect(refused.issues).toEqual([
      { path: 'override.taskQueue', message: 'a task queue name, like maestro-developer-gpu' },
    ]);
  });
});
