import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { person, refusal, routerHarness, unique } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

const NUL = (what: string) => `${what} contains a NUL character (\\u0000), which cannot be stored: remove it`;
const SPEC = {
  key: '1-1',
  title: 'Add tax to the total',
  acceptanceCriteria: ['the total includes tax'],
  risk: 'low' as const,
};

/** What the database holds of a project: its subtasks, their approvals, and its log lines. */
async function footprint(projectId: string) {
  const [subtasks, approvals, events] = await Promise.all([
    harness.prisma.subtask.count({ where: { projectId } }),
    harness.prisma.approval.findMany({ where: { subtask: { projectId } }, orderBy: { id: 'asc' } }),
    harness.prisma.activityEvent.count({ where: { projectId } }),
  ]);
  return { subtasks, approvals, events };
}

describe('one request never wedges or ends a subtask: text PostgreSQL cannot store is refused at the door', () => {
  test('a NUL in an approval comment, a rejection, a pause reason or a retry hint is BAD_REQUEST, and nothing is written', async () => {
    const project = await harness.project('nul');
    const seeded = await harness.subtask(project, '1-1');
    await harness.prisma.approval.create({ data: { subtaskId: seeded.id, gate: 'plan', status: 'pending' } });
    const before = await footprint(project.id);
    const reviewer = harness.as(person('rev', 'reviewer'));
    const admin = harness.as();

    expect(
      await refusal(reviewer.subtask.approve({ project: project.name, key: '1-1', comment: 'ok\u0000' })),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'comment', message: NUL('the comment') }] });
    expect(
      await refusal(
        reviewer.subtask.reject({ project: project.name, key: '1-1', comment: 'redo \u0000 it', returnTo: 'red' }),
      ),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'comment', message: NUL('the comment') }] });
    expect(
      await refusal(
        admin.subtask.override({
          project: project.name,
          key: '1-1',
          override: { action: 'pause', reason: 'hold \u0000 on' },
        }),
      ),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'override.reason', message: NUL('the reason') }] });
    expect(
      await refusal(
        reviewer.subtask.override({ project: project.name, key: '1-1', override: { action: 'retry', hint: '\u0000' } }),
      ),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'override.hint', message: NUL('the hint') }] });

    expect(await footprint(project.id)).toEqual(before);
  });

  test('a NUL in a title, a description, a criterion or a file is BAD_REQUEST, never a 500; no subtask is registered', async () => {
    const project = await harness.project('nul-start');
    const author = harness.as(person('ann', 'author'));
    const start = (spec: Record<string, unknown>) =>
      refusal(author.subtask.start({ ...SPEC, project: project.name, ...spec } as never));

    expect(await start({ title: 'Add \u0000 tax' })).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'title', message: NUL('the title') }],
    });
    expect(await start({ description: 'why\u0000' })).toMatchObject({
      issues: [{ path: 'description', message: NUL('the description') }],
    });
    expect(await start({ acceptanceCriteria: ['fine', 'not \u0000 fine'] })).toMatchObject({
      issues: [{ path: 'acceptanceCriteria.1', message: NUL('an acceptance criterion') }],
    });
    expect(await start({ filesInScope: ['src/\u0000.ts'] })).toMatchObject({
      issues: [{ path: 'filesInScope.0', message: NUL('a path') }],
    });
    expect(await harness.prisma.subtask.count({ where: { projectId: project.id } })).toBe(0);
  });

  test('a NUL in the sign-in name is BAD_REQUEST that says so, and no session is made', async () => {
    const sessions = await harness.prisma.session.count();
    expect(await refusal(harness.as(null).auth.signIn({ name: 'ad\u0000min', password: 'whatever' }))).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'name', message: NUL('a user name') }],
    });
    expect(await harness.prisma.session.count()).toBe(sessions);
  });
});

describe('the other inputs that reach the database or a workflow refuse a NUL too', () => {
  test('project.create, escalation.answer, tokens.create and users.create', async () => {
    const admin = harness.as();
    const name = unique('nul-project');
    expect(
      await refusal(admin.project.create({ name, repository: '/tmp/repo\u0000', testCommand: 'npm test' })),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'repository', message: NUL('the repository') }] });
    expect(
      await refusal(admin.project.create({ name, repository: '/tmp/repo', testCommand: 'npm\u0000test' })),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'testCommand', message: NUL('a command') }] });
    expect(await harness.prisma.project.count({ where: { name } })).toBe(0);
    expect(
      await refusal(
        admin.escalation.answer({
          id: '00000000-0000-7000-8000-000000000000',
          option: 'retry',
          reason: 'try \u0000 again',
        }),
      ),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'reason', message: NUL('the reason') }] });
    expect(await refusal(admin.tokens.create({ name: 'ci\u0000' }))).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'name', message: NUL('a token name') }],
    });
    expect(
      await refusal(admin.users.create({ name: 'bo\u0000b', role: 'reader', password: 'a long password!' })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      issues: expect.arrayContaining([{ path: 'name', message: NUL('a user name') }]),
    });
  });
});

describe('every free text and name has a bound, and the refusal names the field and the limit', () => {
  test('a 5,000-character reason, a 20,001-character description, a 201-character title and 31 criteria are refused', async () => {
    const admin = harness.as();
    const name = unique('bounds');
    expect(
      await refusal(
        admin.subtask.override({ project: name, key: '1-1', override: { action: 'retry', reason: 'x'.repeat(5_000) } }),
      ),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'override.reason', message: 'the reason has at most 2,000 characters; this one has 5,000' }],
    });
    expect(
      await refusal(admin.subtask.approve({ project: name, key: '1-1', comment: 'x'.repeat(4_001) })),
    ).toMatchObject({
      issues: [{ path: 'comment', message: 'the comment has at most 4,000 characters; this one has 4,001' }],
    });
    const start = (spec: Record<string, unknown>) =>
      refusal(admin.subtask.start({ ...SPEC, project: name, ...spec } as never));
    expect(await start({ description: 'x'.repeat(20_001) })).toMatchObject({
      issues: [{ path: 'description', message: 'the description has at most 20,000 characters; this one has 20,001' }],
    });
    expect(await start({ title: 'x'.repeat(201) })).toMatchObject({
      issues: [{ path: 'title', message: 'the title has at most 200 characters; this one has 201' }],
    });
    expect(await start({ acceptanceCriteria: Array.from({ length: 31 }, (_, i) => `criterion ${i}`) })).toMatchObject({
      issues: [{ path: 'acceptanceCriteria', message: 'give at most 30 acceptance criteria' }],
    });
    expect(await start({ acceptanceCriteria: ['x'.repeat(1_001)] })).toMatchObject({
      issues: [
        {
          path: 'acceptanceCriteria.0',
          message: 'an acceptance criterion has at most 1,000 characters; this one has 1,001',
        },
      ],
    });
  });

  test('a 101-character subtask key is refused with its limit', async () => {
    expect(await refusal(harness.as().subtask.state({ project: 'demo', key: 'k'.repeat(101) }))).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'key', message: 'a subtask key has at most 100 characters; this one has 101' }],
    });
  });
});

describe('an unknown key is refused, not dropped', () => {
  test('a typo `coment` does not approve without the comment; nested and list inputs refuse theirs too', async () => {
    const reviewer = harness.as(person('rev', 'reviewer'));
    const name = unique('typo');
    expect(
      await refusal(reviewer.subtask.approve({ project: name, key: '1-1', coment: 'looks good' } as never)),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: '', message: expect.stringContaining('coment') }] });
    expect(
      await refusal(
        harness.as().subtask.override({
          project: name,
          key: '1-1',
          override: { action: 'pause', reason: 'for lunch', resaon: 'x' },
        } as never),
      ),
    ).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'override' }] });
    expect(await refusal(reviewer.subtask.list({ projet: 'demo' } as never))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await refusal(reviewer.project.get({ name: 'demo', extra: true } as never))).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
