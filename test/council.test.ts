import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { git } from '../git/git.js';
import { parseUsd } from '../domain/money.js';
import { CART_TAX_UNIT_SPEC, FILES, cartTaxConversations, finish, read, write } from '../stack/demo/cart-tax-script.js';
import type { ScriptedConversation, ScriptedTurn } from '../stack/scripted-model/script.js';
import { descendantsOf, eventually } from './support/maestro-process.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';

/**
 * The escalation ladder on a real stack: tactical retries, a strategic review, a council of three
 * scripted models of three providers (the council in a worker process of its own, to be killed),
 * and a person. Every council member's call costs exactly five cents; the councils' day is $1.
 */
const KEYS = {
  OPENAI_API_KEY: 'sk-test-openai-council-000000000000',
  ANTHROPIC_API_KEY: 'sk-ant-test-council-11111111111111',
  GEMINI_API_KEY: 'AIzaTestCouncil222222222222222222222222',
};
const free = { contextWindow: 128_000, inputPerMillion: 0, outputPerMillion: 0, toolCalling: true, maxConcurrent: 4 };
const FIVE_CENTS = { inputTokens: 10_000, outputTokens: 0 };

let harness: SubtaskHarness;

beforeAll(async () => {
  harness = await startSubtaskHarness(
    'council',
    {
      MAESTRO_MODEL_BASE_URL: '',
      MAESTRO_MODEL: '',
      MAESTRO_STRATEGIC_REVIEW: 'true',
      MAESTRO_COUNCIL: 'true',
      MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator,tester,developer,runner,models;council',
      ...KEYS,
    },
    {
      config: (scripted) => ({
        models: {
          providers: {
            openai: { baseUrl: `${scripted.origin}/openai/v1` },
            anthropic: { baseUrl: `${scripted.origin}/anthropic/v1` },
            google: { baseUrl: `${scripted.origin}/google/v1beta` },
          },
          registry: {
            dev: { ...free, provider: 'openai' },
            reviewer: { ...free, provider: 'openai' },
            'member-a': { ...free, provider: 'openai', inputPerMillion: 5 },
            'member-b': { ...free, provider: 'anthropic', inputPerMillion: 5 },
            'member-c': { ...free, provider: 'google', inputPerMillion: 5 },
          },
          routing: { tactical: { cheap: ['dev'], strong: ['dev'] }, strategic: ['reviewer'], strongest: ['dev'] },
        },
        escalation: {
          council: { members: ['member-a', 'member-b', 'member-c'], memberTimeoutMs: 15_000 },
          reminderMs: 5_000,
        },
        budgets: { councilDailyUsd: 10 },
      }),
    },
  );
});
afterAll(() => harness?.close());

const GUIDANCE = 'total() must round to cents: Math.round(value * 100) / 100, after adding the tax.';

/** Green fails for the tactical model every time; the reviewer writes guidance; each member answers right or wrong. */
function ladder(key: string, members: Record<string, 'right' | 'wrong' | ScriptedTurn[]>): ScriptedConversation[] {
  const answer = (verdict: 'right' | 'wrong'): ScriptedTurn[] => [
    { ...write(verdict === 'right' ? FILES.greenCode : FILES.wrongGreenCode), usage: FIVE_CENTS },
    { ...finish(`Added total(), ${verdict === 'right' ? 'rounded to cents' : 'as asked'}.`), usage: FIVE_CENTS },
  ];
  return [
    { match: { key, role: 'orchestrator' }, turns: [{ content: GUIDANCE }] },
    ...Object.entries(members).map(([model, behaviour]): ScriptedConversation => ({
      match: { key, phase: 'green', model },
      turns: Array.isArray(behaviour) ? behaviour : answer(behaviour),
    })),
    {
      match: { key, phase: 'green', model: 'dev' },
      turns: [read(FILES.redTest.path), write(FILES.wrongGreenCode), finish('Added total().')],
    },
    ...cartTaxConversations(key, { integration: false }),
  ];
}

/** Each scenario on a project of its own: a merged subtask would leave nothing for the next one to do. */
async function start(key: string) {
  await harness.sampleProject(projectOf(key), { withoutIntegration: true });
  return harness.api.subtask.start.mutate({ project: projectOf(key), key, risk: 'low', ...CART_TAX_UNIT_SPEC });
}
const projectOf = (key: string) => `ladder-${key}`;
const eventsOf = (workflowId: string) =>
  harness.prisma.activityEvent.findMany({ where: { workflowId }, orderBy: { id: 'asc' } });
const requests = (key: string, model: string) =>
  harness.scripted.requests.filter((request) => request.key === key && request.model === model);
const repository = async (key: string) =>
  (await harness.prisma.project.findUniqueOrThrow({ where: { name: projectOf(key) } })).repoPath;

describe('the escalation ladder', () => {
  test('retries, a strategic review, then a council: one member right, two wrong — the test winner is applied and the tests pass', async () => {
    harness.script(...ladder('41-1', { 'member-a': 'wrong', 'member-b': 'right', 'member-c': 'wrong' }));
    const { workflowId, subtaskId } = await start('41-1');
    const done = await harness.waitFor(
      projectOf('41-1'),
      '41-1',
      (state) => state.status === 'completed',
      'the council to save the subtask',
      180_000,
    );

    // Tier 1: three attempts; tier 2: the review's guidance reaches the fourth; tier 3: the council.
    const green = harness.scripted.requests.filter(
      (request) => request.key === '41-1' && request.phase === 'green' && request.model === 'dev' && request.turn === 0,
    );
    expect(green.map((request) => request.attempt)).toEqual([1, 2, 3, 4]);
    expect(green[3]!.task).toContain('## A strategic review of the failures so far');
    expect(green[3]!.task).toContain(GUIDANCE);
    expect(green[2]!.task).not.toContain(GUIDANCE);
    const memberTask = requests('41-1', 'member-b')[0]!.task;
    expect(memberTask).toContain('## You sit on a council');
    expect(memberTask).toContain(GUIDANCE);

    // The log reads like the story it is.
    const log = (await eventsOf(workflowId)).map((event) => `${event.kind}: ${event.message}`);
    const at = (pattern: RegExp) => log.findIndex((line) => pattern.test(line));
    expect(
      at(
        /^escalation\.review: Escalating green to a strategic review by reviewer after 3 failed attempt\(s\) \(tier 2\)$/,
      ),
    ).toBeGreaterThan(-1);
    expect(at(/^escalation\.guidance: Strategic review by reviewer: total\(\) must round to cents/)).toBeGreaterThan(
      -1,
    );
    expect(
      at(/^escalation\.council: Escalating green to the AI council \(tier 3\): member-a, member-b, member-c$/),
    ).toBeGreaterThan(at(/attempt 4 failed/));
    expect(
      at(/^council\.convened: Council convened: member-a, member-b, member-c \(green\/assertion, test winner\)$/),
    ).toBeGreaterThan(-1);
    const selected = log.find((line) => line.startsWith('council.selected'))!;
    expect(selected).toMatch(/^council\.selected: member-b solution selected \(passes (\d+)\/\1, \d+ changed lines\)$/);
    expect(at(/^council\.success: Tests passing — council successful/)).toBeGreaterThan(at(/^council\.selected/));

    // The winner is the branch's green commit, and every candidate is kept to be looked at.
    const repo = await repository('41-1');
    expect(await git(repo, ['log', '-1', '--format=%s', done.shas.green!])).toBe(
      `[green] 41-1 ${CART_TAX_UNIT_SPEC.title} (developer) — council candidate of member-b`,
    );
    const refs = await git(repo, ['for-each-ref', '--format=%(refname)', 'refs/maestro/council/']);
    expect(
      refs
        .split('\n')
        .filter((ref) => ref.includes('41-1'))
        .map((ref) => ref.split('/').at(-1)),
    ).toEqual(['member-a', 'member-b', 'member-c']);
    expect(
      existsSync(path.join(harness.dataDir, 'worktrees', projectOf('41-1'), 'council'))
        ? readdirSync(path.join(harness.dataDir, 'worktrees', projectOf('41-1'), 'council'))
        : [],
    ).toEqual([]);

    // The council's record: members, each candidate's tests, diff and cost, the winner, applied, the outcome.
    const [session] = await harness.api.council.list.query({ project: projectOf('41-1'), subtask: '41-1' });
    expect(session).toMatchObject({
      phase: 'green',
      problemType: 'green/assertion',
      strategy: 'test_winner',
      members: ['member-a', 'member-b', 'member-c'],
      status: 'decided',
      winner: 'member-b',
      applied: true,
      outcome: 'success',
    });
    expect(session!.candidates.map((candidate) => [candidate.model, candidate.passedCheck, candidate.won])).toEqual([
      ['member-a', false, false],
      ['member-b', true, true],
      ['member-c', false, false],
    ]);
    // Each member's two calls cost $0.10 (more only if a loaded machine made Temporal retry one): the
    // session's cost is its members' and the ledger's, to the picodollar.
    const candidateCosts = session!.candidates.map((candidate) => parseUsd(candidate.costUsd));
    expect(candidateCosts.every((cost) => cost >= parseUsd('0.10') && cost % parseUsd('0.05') === 0n)).toBe(true);
    expect(parseUsd(session!.costUsd)).toBe(candidateCosts.reduce((sum, cost) => sum + cost, 0n));
    expect(session!.candidates.every((candidate) => candidate.diffLines > 0 && candidate.testsPassed > 0)).toBe(true);
    expect(session!.candidates.find((candidate) => candidate.model === 'member-a')!.testsFailed).toBeGreaterThan(0);
    const rates = await harness.api.council.winRates.query({ problemType: 'green/assertion' });
    expect(rates.find((rate) => rate.model === 'member-b')).toMatchObject({ wins: 1, councils: 1, rate: 1 });
    expect(
      (
        await harness.prisma.modelCall.aggregate({ where: { subtaskId, purpose: 'council' }, _sum: { costUsd: true } })
      )._sum.costUsd!.toFixed(12),
    ).toBe(session!.costUsd);
    // The subtask's timeline shows the council's members, each with its own steps.
    const timeline = await harness.api.subtask.timeline.query({ project: projectOf('41-1'), key: '41-1' });
    const councilStep = timeline.phases.flatMap((visit) => visit.steps).find((step) => step.kind === 'council')!;
    expect(councilStep.councilMembers!.map((member) => [member.model, member.status])).toEqual([
      ['member-a', 'completed'],
      ['member-b', 'completed'],
      ['member-c', 'completed'],
    ]);
    expect(councilStep.councilMembers![1]!.steps.map((step) => step.kind)).toEqual([
      'prepare',
      'model',
      'tool',
      'model',
      'commit',
    ]);
    await harness.recordHistory(workflowId, 'council-saves-green');
    await harness.recordHistory(`council-${workflowId}-green-1`, 'council-workflow');
  }, 200_000);

  test('all members wrong: a person is offered options (and reminded); retrying with another model resumes the subtask', async () => {
    harness.script(
      {
        match: { key: '41-2', phase: 'green', model: 'reviewer', role: 'developer' },
        turns: [write(FILES.greenCode), finish('Rounded to cents.')],
      },
      ...ladder('41-2', { 'member-a': 'wrong', 'member-b': 'wrong', 'member-c': 'wrong' }),
    );
    const { workflowId } = await start('41-2');
    const blocked = await harness.waitFor(
      projectOf('41-2'),
      '41-2',
      (state) => state.status === 'blocked',
      'the ladder to reach a person',
      180_000,
    );
    expect(blocked.escalationTier).toBe(4);
    expect(blocked.blocked).toMatchObject({ tier: 4, options: ['retry_with_model', 'retry', 'reset', 'cancel'] });
    expect(blocked.blocked!.reason).toMatch(
      /^4 attempt\(s\) of green failed \(with a strategic review\); the council \(member-a, member-b, member-c\) found no candidate that passes: no candidate passes: member-a fails \d+ test\(s\); member-b fails/,
    );
    expect(blocked.council).toMatchObject({ status: 'failed', members: ['member-a', 'member-b', 'member-c'] });
    const escalation = await harness.prisma.escalation.findFirstOrThrow({
      where: { subtask: { workflowId }, status: 'open' },
    });
    expect(escalation).toMatchObject({ tier: 4, recommendedOption: 'retry_with_model' });
    expect(escalation.options).toContainEqual({
      id: 'retry_with_model',
      label: 'Retry with another model',
      detail: 'Try again with another model: reviewer has not tried this phase',
    });

    // Nobody answers for a while: a reminder.
    const reminder = await eventually(
      async () => (await eventsOf(workflowId)).find((event) => event.kind === 'escalation.reminder'),
      30_000,
      'a reminder',
    );
    expect(reminder.message).toMatch(/^still waiting for a person \(reminder 1\): 4 attempt\(s\) of green failed/);
    expect(
      (await harness.prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).reminders,
    ).toBeGreaterThanOrEqual(1);

    await expect(
      harness.api.subtask.override.mutate({
        project: projectOf('41-2'),
        key: '41-2',
        override: { action: 'retry', model: 'gpt-9' },
      }),
    ).rejects.toThrow(/gpt-9 is not in the model registry/);
    await harness.api.subtask.override.mutate({
      project: projectOf('41-2'),
      key: '41-2',
      override: { action: 'retry', model: 'reviewer', hint: 'round to cents' },
    });
    const done = await harness.waitFor(
      projectOf('41-2'),
      '41-2',
      (state) => state.status === 'completed',
      'the subtask to complete with the other model',
      120_000,
    );
    expect(done.shas.green).toBeTruthy();
    expect(
      requests('41-2', 'reviewer')
        .filter((request) => request.role === 'developer')
        .map((request) => request.attempt),
    ).toEqual([1, 1]);
    const resolved = await harness.prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(resolved).toMatchObject({ status: 'resolved', chosenOption: 'retry', resolvedBy: 'user:local' });
    expect((await eventsOf(workflowId)).find((event) => event.kind === 'routing.chosen')!.message).toBe(
      'green goes on with reviewer, chosen by user:local',
    );
    const [session] = await harness.api.council.list.query({ project: projectOf('41-2'), subtask: '41-2' });
    expect(session).toMatchObject({ status: 'failed', winner: null, applied: false });
    await harness.recordHistory(workflowId, 'ladder-to-a-person');
  }, 240_000);

  test('a council worker killed mid-council: no member is asked again, and the call in flight goes on', async () => {
    harness.script(
      ...ladder('41-5', {
        'member-a': 'wrong',
        'member-b': [
          { ...write(FILES.greenCode), usage: FIVE_CENTS, holdUntil: 'council-kill' },
          { ...finish('Rounded to cents.'), usage: FIVE_CENTS },
        ],
        'member-c': 'wrong',
      }),
    );
    const { workflowId } = await start('41-5');
    const councilId = `council-${workflowId}-green-1`;
    // Members a and c have answered (their activities completed); b's first call is held.
    await eventually(
      async () => {
        if (requests('41-5', 'member-b').length === 0) return undefined;
        const history = await harness.temporal.workflow
          .getHandle(councilId)
          .fetchHistory()
          .catch(() => undefined);
        return (history?.events ?? []).filter((event) => event.activityTaskCompletedEventAttributes).length >= 2
          ? true
          : undefined;
      },
      180_000,
      'two members to answer while the third is held',
    );
    const council = descendantsOf(harness.maestro.pid).find((entry) => entry.command.includes('--queues council'))!;
    process.kill(council.pid, 'SIGKILL');
    await harness.maestro.waitForLog((record) => record.msg === 'worker:council restarted', 15_000);
    harness.scripted.openGate('council-kill');

    await harness.waitFor(
      projectOf('41-5'),
      '41-5',
      (state) => state.status === 'completed',
      'the council to finish on the restarted worker',
      180_000,
    );
    // Each member's run is a workflow of its own: its held call was on its model's gateway, not on
    // the killed worker, so it was answered once, and nobody's calls were made or charged twice.
    expect(requests('41-5', 'member-a')).toHaveLength(2);
    expect(requests('41-5', 'member-c')).toHaveLength(2);
    expect(requests('41-5', 'member-b')).toHaveLength(2);
    const charged = await harness.prisma.modelCall.groupBy({
      by: ['role'],
      where: { workflowId: councilId, outcome: 'ok' },
      _count: { _all: true },
    });
    expect(Object.fromEntries(charged.map((row) => [row.role, row._count._all]))).toEqual({
      'council:member-a': 2,
      'council:member-b': 2,
      'council:member-c': 2,
    });
    const [session] = await harness.api.council.list.query({ project: projectOf('41-5'), subtask: '41-5' });
    expect(session).toMatchObject({ winner: 'member-b', applied: true, outcome: 'success' });
  }, 240_000);

  test('a member that hangs is cut at its timeout, and the council still decides', async () => {
    harness.script(
      ...ladder('41-3', {
        'member-a': 'wrong',
        'member-b': 'right',
        'member-c': [{ content: 'thinking…', delayMs: 60_000 }],
      }),
    );
    const { workflowId } = await start('41-3');
    await harness.waitFor(
      projectOf('41-3'),
      '41-3',
      (state) => state.status === 'completed',
      'the council to decide without the hung member',
      180_000,
    );
    // Cut once at its time, not asked again for as long once more.
    expect(requests('41-3', 'member-c')).toHaveLength(1);
    const log = (await eventsOf(workflowId)).map((event) => `${event.kind}: ${event.message}`);
    expect(log).toContainEqual('council.member_failed: member-c timed out: gave no answer within 15 s');
    expect(log.find((line) => line.startsWith('council.selected'))).toMatch(
      /^council\.selected: member-b solution selected/,
    );
    const [session] = await harness.api.council.list.query({ project: projectOf('41-3'), subtask: '41-3' });
    expect(session!.candidates.find((candidate) => candidate.model === 'member-c')).toMatchObject({
      status: 'timed_out',
      passedCheck: false,
    });
  }, 240_000);

  test('the councils’ daily budget spent: no council, straight to a person with that reason', async () => {
    harness.script(...ladder('41-4', { 'member-a': 'right', 'member-b': 'right', 'member-c': 'right' }));
    // Today's councils have spent the daily $10.00 (with what the tests before this one spent).
    await harness.prisma.modelCall.create({
      data: {
        purpose: 'council',
        provider: 'openai',
        model: 'member-a',
        inputTokens: 1,
        outputTokens: 1,
        costUsd: '10.000000000000',
        latencyMs: 1,
        workflowId: 'council-seeded-spend',
      },
    });
    const { workflowId } = await start('41-4');
    const blocked = await harness.waitFor(
      projectOf('41-4'),
      '41-4',
      (state) => state.status === 'blocked',
      'the ladder to reach a person',
      180_000,
    );
    expect(blocked.blocked!.reason).toMatch(
      /; no council: the councils' daily budget is spent \(\$\d+\.\d\d of \$10\.00 today\); last: /,
    );
    expect(['member-a', 'member-b', 'member-c'].flatMap((model) => requests('41-4', model))).toEqual([]);
    expect((await eventsOf(workflowId)).some((event) => event.kind === 'council.skipped')).toBe(true);
    await harness.api.subtask.override.mutate({
      project: projectOf('41-4'),
      key: '41-4',
      override: { action: 'cancel', reason: 'enough for today' },
    });
  }, 200_000);
});
