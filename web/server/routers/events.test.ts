import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { person, refusal, routerHarness, unique } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

describe('events.list', () => {
  test('filters by subtask within a project, by kind family and actor prefix, together', async () => {
    const project = await harness.project('events');
    const one = await harness.subtask(project, '1-1');
    const two = await harness.subtask(project, '1-2');
    const append = async (subtaskId: string | undefined, actor: string, kind: string, message: string) =>
      (
        await harness.prisma.activityEvent.create({
          data: { projectId: project.id, subtaskId, actor, kind, message },
          select: { id: true },
        })
      ).id.toString();
    const ids = {
      handoff: await append(one.id, 'orchestrator', 'phase.handoff', 'red handed to the tester'),
      commit: await append(one.id, 'tester', 'phase.commit', 'tester finished red'),
      approved: await append(one.id, 'user:zoe', 'approval.approved', 'merge approved'),
      other: await append(two.id, 'user:yan', 'approval.requested', 'waiting for approval of the merge'),
      project: await append(undefined, 'user:ada', 'budget.changed', 'budget raised'),
    };
    const reader = harness.as(person('rita', 'reader'));
    const listed = async (filter: { subtask?: string; kind?: string; actor?: string }) =>
      (await reader.events.list({ project: project.name, ...filter })).events.map((event) => event.id);

    expect(await listed({})).toEqual([ids.project, ids.other, ids.approved, ids.commit, ids.handoff]);
    expect(await listed({ subtask: '1-1' })).toEqual([ids.approved, ids.commit, ids.handoff]);
    expect(await listed({ subtask: '1-2' })).toEqual([ids.other]);
    expect(await listed({ kind: 'phase' })).toEqual([ids.commit, ids.handoff]);
    // A family is whole words: `approval` is not `approval.approved`'s prefix `approv`.
    expect(await listed({ kind: 'approv' })).toEqual([]);
    expect(await listed({ kind: 'approval', subtask: '1-1' })).toEqual([ids.approved]);
    expect(await listed({ actor: 'user:*' })).toEqual([ids.project, ids.other, ids.approved]);
    expect(await listed({ actor: 'user:*', kind: 'approval' })).toEqual([ids.other, ids.approved]);
    expect(await listed({ actor: 'tester', subtask: '1-2' })).toEqual([]);

    const [newest] = (await reader.events.list({ project: project.name, subtask: '1-1', limit: 1 })).events;
    expect(newest).toMatchObject({
      id: ids.approved,
      project: project.name,
      subtask: '1-1',
      actor: 'user:zoe',
      kind: 'approval.approved',
      message: 'merge approved',
      workflowId: null,
    });
    const page = await reader.events.list({ project: project.name, subtask: '1-1', limit: 2 });
    expect(page.nextBefore).toBe(ids.commit);
    expect(
      await reader.events.list({ project: project.name, subtask: '1-1', limit: 2, before: page.nextBefore! }),
    ).toEqual({
      events: [expect.objectContaining({ id: ids.handoff })],
      nextBefore: null,
    });
  });

  test('bad filters say what to give instead', async () => {
    const project = await harness.project('events-bad');
    const reader = harness.as(person('rita', 'reader'));
    expect((await refusal(reader.events.list({ actor: 'user alice' }))).issues).toEqual([
      { path: 'actor', message: 'an actor like user:alice or tester, or a prefix like user:*' },
    ]);
    expect((await refusal(reader.events.list({ kind: 'Approval!' }))).issues).toEqual([
      { path: 'kind', message: 'a kind like approval.requested, or a family like approval' },
    ]);
    expect((await refusal(reader.events.list({ before: 'abc' }))).issues).toEqual([
      { path: 'before', message: 'an event id: digits, as events.list gives them' },
    ]);
    expect((await refusal(reader.events.list({ search: '   ' }))).issues).toEqual([
      { path: 'search', message: 'search for at least one word' },
    ]);
    expect((await refusal(reader.events.list({ project: project.name, subtask: '1 1' }))).issues).toEqual([
      { path: 'subtask', message: 'use a key like 3-1: letters and digits joined by dashes' },
    ]);
    expect(await refusal(reader.events.list({ subtask: '1-1' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'a subtask key needs its project: give project too',
    });
    expect(await refusal(reader.events.list({ project: project.name, subtask: '9-9' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: `No subtask 9-9 in ${project.name}.`,
    });
    expect(await refusal(reader.events.list({ project: unique('absent') }))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No project named absent-/),
    });
    expect(await refusal(harness.as(null).events.list({ project: project.name }))).toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});
