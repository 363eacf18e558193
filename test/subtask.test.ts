import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { git } from '../git/git.js';
import { NO_INTEGRATION_SUITE } from '../domain/phases.js';
import {
  CART_TAX_SPEC,
  CART_TAX_UNIT_SPEC,
  CART_TAX_VERDICTS,
  FILES,
  cartTaxConversations,
  finish,
  read,
  runTests,
  write,
} from '../stack/demo/cart-tax-script.js';
import type { AppRouter } from '../web/server/root.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';
import { eventually, listProcesses } from './support/maestro-process.js';

let harness: SubtaskHarness;

beforeAll(async () => {
  harness = await startSubtaskHarness('subtasks', { MAESTRO_MAX_ATTEMPTS: '3' });
});

afterAll(async () => {
  await harness?.close();
});

const start = (project: string, key: string, risk: 'low' | 'medium' | 'high' = 'low') =>
  harness.api.subtask.start.mutate({ project, key, risk, ...CART_TAX_SPEC });

async function eventsOf(workflowId: string) {
  return harness.prisma.activityEvent.findMany({ where: { workflowId }, orderBy: { id: 'asc' } });
}

async function rejection(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AppRouter>;
}

describe('a subtask, carried through the TDD phases on a real repository', () => {
  test('the happy path: seven phases, checks, commits, and a merge that holds the tests and the code', async () => {
    const repository = await harness.sampleProject('happy');
    harness.script(...cartTaxConversations('3-1'));
    const started = await start('happy', '3-1');
    expect(started).toMatchObject({ workflowId: 'subtask-happy-3-1', started: true });
    // Starting it again is idempotent: the same subtask, not a second run.
    expect(await start('happy', '3-1')).toMatchObject({
      workflowId: 'subtask-happy-3-1',
      started: false,
      ignored: [],
    });

    const done = await harness.waitFor(
      'happy',
      '3-1',
      (state) => state.status === 'completed',
      'the happy path to complete',
    );
    expect(done.progress).toBe('9/9');
    expect(Object.keys(done.shas).sort()).toEqual([
      'base',
      'green',
      'integration_green',
      'integration_red',
      'merge',
      'red',
      'refactor',
      'verify',
    ]);

    const mergeSha = done.shas.merge!;
    expect(await git(repository, ['rev-parse', 'main'])).toBe(mergeSha);
    const merged = (await git(repository, ['diff', '--name-only', `${mergeSha}^1`, mergeSha])).split('\n').sort();
    expect(merged).toEqual([
      'src/cart.js',
      'src/checkout.js',
      'test/integration/checkout-total.test.js',
      'test/unit/cart-total.test.js',
    ]);
    const branchLog = await git(repository, ['log', '--format=%s', `${mergeSha}^1..${mergeSha}^2`]);
    expect(branchLog.split('\n').reverse()).toEqual([
      '[red] 3-1 Add tax to the cart total (tester)',
      '[green] 3-1 Add tax to the cart total (developer)',
      '[refactor] 3-1 Add tax to the cart total (developer)',
      '[integration_red] 3-1 Add tax to the cart total (tester)',
      '[integration_green] 3-1 Add tax to the cart total (developer)',
      '[verify] 3-1 Add tax to the cart total (tester)',
    ]);

    // The red-before-green proof: the new tests failing on the code before it existed, kept and linked.
    expect(done.redEvidence?.newFailingTests).toEqual(['total adds tax to the subtotal', 'total rounds to cents']);
    const evidenceLog = done.redEvidence!.logFiles.find((file) => file.endsWith('-unit.log'))!;
    expect(readFileSync(evidenceLog, 'utf8')).toMatch(/total rounds to cents[\s\S]*cart\.total is not a function/);
    const events = await eventsOf(started.workflowId);
    const completion = events.find((event) => event.kind === 'subtask.completed')!;
    expect(completion.data).toMatchObject({
      mergeSha,
      redEvidence: { newFailingTests: done.redEvidence!.newFailingTests, logFiles: done.redEvidence!.logFiles },
    });

    const kinds = events.map((event) => event.kind);
    expect(kinds.filter((kind) => kind === 'phase.handoff')).toHaveLength(6);
    expect(kinds.filter((kind) => kind === 'phase.commit')).toHaveLength(6);
    const transitions = events
      .filter((event) => event.kind === 'subtask.transition')
      .map((event) => (event.data as { to: string }).to);
    expect(transitions.at(-1)).toBe('completed');
    expect(transitions).toContain('testing');

    const row = await harness.prisma.subtask.findUniqueOrThrow({ where: { workflowId: started.workflowId } });
    expect(row).toMatchObject({
      status: 'completed',
      phase: 'complete',
      branch: 'maestro/3-1-add-tax-to-the-cart-total',
    });
    expect(row.completedAt).not.toBeNull();
    const calls = await harness.prisma.modelCall.findMany({ where: { subtaskId: started.subtaskId } });
    expect(calls.length).toBeGreaterThanOrEqual(14);
    expect(new Set(calls.map((call) => call.role))).toEqual(new Set(['tester', 'developer']));
    expect(calls.every((call) => call.inputTokens > 0 && call.model === 'scripted')).toBe(true);

    // References, not outputs: the history stays small.
    const history = await harness.temporal.workflow.getHandle(started.workflowId).fetchHistory();
    expect(history.events!.length).toBeLessThan(200);
    expect(JSON.stringify(history).length).toBeLessThan(256 * 1024);
    const runs = harness.temporal.workflow.list({ query: `WorkflowId = '${started.workflowId}'` });
    let count = 0;
    for await (const _ of runs) count += 1;
    expect(count).toBe(1);
    await harness.recordHistory(started.workflowId, 'happy-path');
  });

  test('a red whose tests already pass is rejected with that reason, and the next attempt gets it right', async () => {
    await harness.sampleProject('notred');
    harness.script(
      {
        match: { key: '4-1', phase: 'red', attempt: 1 },
        turns: [write(FILES.alreadyPassingTest), finish('Added a test.')],
      },
      ...cartTaxConversations('4-1'),
    );
    const { workflowId } = await start('notred', '4-1');
    const done = await harness.waitFor(
      'notred',
      '4-1',
      (state) => state.status === 'completed',
      'the subtask to complete',
    );
    const failed = (await eventsOf(workflowId)).find(
      (event) => event.kind === 'subtask.transition' && (event.data as { to: string }).to === 'failed',
    )!;
    expect(failed.message).toMatch(
      /red attempt 1 failed: the new tests already pass on the current code \("subtotal of one item"\)/,
    );
    const retried = harness.scripted.requests.find(
      (request) => request.key === '4-1' && request.phase === 'red' && request.attempt === 2,
    )!;
    expect(retried.task).toContain('The previous attempt failed its check');
    expect(retried.task).toContain('the new tests already pass');
    expect(done.redEvidence?.newFailingTests).toEqual(['total adds tax to the subtotal', 'total rounds to cents']);
    await harness.recordHistory(workflowId, 'red-rejected');
  });

  test('a green that fails retries with the failure in its prompt, blocks after the limit, and a person’s retry with a hint unblocks it', async () => {
    await harness.sampleProject('stubborn');
    harness.script(
      {
        match: { key: '5-1', phase: 'green', taskIncludes: 'round to cents with Math.round' },
        turns: [write(FILES.greenCode), finish('Rounded as asked.')],
      },
      {
        match: { key: '5-1', phase: 'green' },
        turns: [read(FILES.redTest.path), write(FILES.wrongGreenCode), finish('Added total().')],
      },
      ...cartTaxConversations('5-1'),
    );
    const { workflowId } = await start('stubborn', '5-1');
    const blocked = await harness.waitFor(
      'stubborn',
      '5-1',
      (state) => state.status === 'blocked',
      'the subtask to block',
    );
    expect(blocked.phase).toBe('green');
    expect(blocked.attempt).toBe(3);
    expect(blocked.blocked?.options).toEqual(['retry', 'reset', 'skip', 'cancel']);
    expect(blocked.lastFailure?.failingTests).toEqual(['total rounds to cents']);

    const greenRequests = harness.scripted.requests.filter(
      (request) => request.key === '5-1' && request.phase === 'green' && request.turn === 0,
    );
    expect(greenRequests.map((request) => request.attempt)).toEqual([1, 2, 3]);
    const second = greenRequests[1]!.task;
    expect(second).toContain('The previous attempt failed its check');
    expect(second).toContain('Failing tests: total rounds to cents');
    expect(second).toMatch(/Output \(end\):[\s\S]*1\.1988/);
    expect(second).toMatch(/diff --git a\/src\/cart\.js/);
    expect(greenRequests[0]!.task).not.toContain('The previous attempt failed');

    const escalation = await harness.prisma.escalation.findFirstOrThrow({ where: { subtask: { workflowId } } });
    expect(escalation).toMatchObject({ status: 'open', phase: 'green', recommendedOption: 'retry' });

    await harness.api.subtask.override.mutate({
      project: 'stubborn',
      key: '5-1',
      override: { action: 'retry', hint: 'round to cents with Math.round' },
    });
    const done = await harness.waitFor(
      'stubborn',
      '5-1',
      (state) => state.status === 'completed',
      'the retried subtask to complete',
    );
    expect(done.shas.green).toBeTruthy();
    const resolved = await harness.prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(resolved).toMatchObject({ status: 'resolved', chosenOption: 'retry', resolvedBy: 'user:local' });
    await harness.recordHistory(workflowId, 'green-blocked-then-retried');
  });

  test('medium risk waits for approval: a rejection sends it back with the comment, an approval merges', async () => {
    const repository = await harness.sampleProject('careful');
    harness.script(
      {
        match: { key: '6-1', phase: 'green', taskIncludes: 'name the rounding' },
        turns: [write(FILES.greenCode), finish('Named it, as the reviewer asked.')],
      },
      ...cartTaxConversations('6-1'),
    );
    const { workflowId } = await start('careful', '6-1', 'medium');
    const waiting = await harness.waitFor(
      'careful',
      '6-1',
      (state) => state.pendingGate?.gate === 'merge',
      'the merge approval',
    );
    expect(waiting.status).toBe('ready_for_review');
    const baseBefore = await git(repository, ['rev-parse', 'main']);

    await harness.api.subtask.reject.mutate({
      project: 'careful',
      key: '6-1',
      comment: 'please name the rounding step',
      returnTo: 'green',
    });
    const back = await harness.waitFor(
      'careful',
      '6-1',
      (state) => state.phase === 'green' || state.phase === 'refactor',
      'the subtask to go back to green',
    );
    expect(back.pendingGate).toBeUndefined();
    const greenAgain = await eventually(
      () =>
        harness.scripted.requests.find(
          (request) =>
            request.key === '6-1' &&
            request.phase === 'green' &&
            request.task.includes('please name the rounding step'),
        ),
      30_000,
      'green to run again with the comment',
    );
    expect(greenAgain.task).toContain('## A reviewer sent this back\nplease name the rounding step');

    await harness.waitFor(
      'careful',
      '6-1',
      (state) => state.pendingGate?.gate === 'merge',
      'the second merge approval',
    );
    expect(await git(repository, ['rev-parse', 'main'])).toBe(baseBefore);
    await harness.api.subtask.approve.mutate({ project: 'careful', key: '6-1', comment: 'looks right' });
    const done = await harness.waitFor(
      'careful',
      '6-1',
      (state) => state.status === 'completed',
      'the approved subtask to merge',
    );
    expect(await git(repository, ['rev-parse', 'main'])).toBe(done.shas.merge);

    const approvals = await harness.prisma.approval.findMany({
      where: { subtask: { workflowId } },
      orderBy: { requestedAt: 'asc' },
    });
    expect(approvals.map((approval) => [approval.gate, approval.status, approval.decidedBy])).toEqual([
      ['merge', 'rejected', 'user:local'],
      ['merge', 'approved', 'user:local'],
    ]);
    expect(approvals[0]).toMatchObject({ comment: 'please name the rounding step', returnToPhase: 'green' });
    await harness.recordHistory(workflowId, 'medium-rejected-then-approved');
  });
});

describe('projects of other shapes', () => {
  test("without an integration suite the integration phases are left out, the state says why, and none is offered; files outside a role's territory are put back before its commit", async () => {
    // A test that records its last run in a tracked file: every run of the suite changes a test file.
    const recorder =
      "import { writeFileSync } from 'node:fs';\nimport { test } from 'node:test';\n\ntest('records the run', () => {\n  writeFileSync(new URL('./last-run.json', import.meta.url), JSON.stringify({ ranAt: Date.now() }));\n});\n";
    const repository = await harness.sampleProject('unitonly', {
      withoutIntegration: true,
      files: { 'test/unit/recorder.test.js': recorder, 'test/unit/last-run.json': '{}\n' },
    });
    harness.script(...cartTaxConversations('17-1', { integration: false }));
    const { workflowId } = await harness.api.subtask.start.mutate({
      project: 'unitonly',
      key: '17-1',
      risk: 'medium',
      ...CART_TAX_UNIT_SPEC,
    });
    const gate = await harness.waitFor(
      'unitonly',
      '17-1',
      (state) => state.pendingGate?.gate === 'merge',
      'the merge approval',
    );
    // The state says which phases run and why the integration phases do not.
    expect(gate.phasePlan).toEqual({
      runs: ['red', 'green', 'refactor', 'verify', 'complete'],
      leftOut: [
        { phase: 'integration_red', reason: NO_INTEGRATION_SUITE },
        { phase: 'integration_green', reason: NO_INTEGRATION_SUITE },
      ],
    });
    const detail = await harness.api.subtask.detail.query({ project: 'unitonly', key: '17-1' });
    expect(detail.phases?.summary).toBe(
      `This subtask runs red, green, refactor, verify, complete; integration_red and integration_green are left out: ${NO_INTEGRATION_SUITE}.`,
    );
    // Never offered, and refused with the reason when asked for anyway.
    const actions = await harness.api.subtask.actions.query({ project: 'unitonly', key: '17-1' });
    expect(actions.actions.find((action) => action.action === 'reject')?.phases).toEqual([
      'red',
      'green',
      'refactor',
      'verify',
    ]);
    const [approval] = await harness.api.inbox.approvals.query({ project: 'unitonly' });
    expect(approval?.returnTo).toEqual(['red', 'green', 'refactor', 'verify']);
    const refused = await rejection(
      harness.api.subtask.reject.mutate({
        project: 'unitonly',
        key: '17-1',
        returnTo: 'integration_green',
        comment: 'check the checkout end to end',
      }),
    );
    expect(refused.data?.code).toBe('BAD_REQUEST');
    expect(refused.message).toBe(
      `integration_green does not run for this subtask: ${NO_INTEGRATION_SUITE}; return to one of red, green, refactor, verify`,
    );
    const reset = await rejection(
      harness.api.subtask.override.mutate({
        project: 'unitonly',
        key: '17-1',
        override: { action: 'reset', phase: 'integration_red', reason: 'add an integration test' },
      }),
    );
    expect(reset.message).toBe(
      `integration_red does not run for this subtask: ${NO_INTEGRATION_SUITE}; reset to one of red, green, refactor, verify`,
    );
    await harness.api.subtask.approve.mutate({ project: 'unitonly', key: '17-1' });

    const done = await harness.waitFor(
      'unitonly',
      '17-1',
      (state) => state.status === 'completed',
      'the subtask to complete',
    );
    expect(Object.keys(done.shas).sort()).toEqual(['base', 'green', 'merge', 'red', 'refactor', 'verify']);
    expect(done.checklist.map((item) => item.id).filter((id) => id.startsWith('phase:'))).toEqual([
      'phase:red',
      'phase:green',
      'phase:refactor',
      'phase:verify',
      'phase:complete',
    ]);
    expect(
      harness.scripted.requests.filter((request) => request.key === '17-1' && request.phase?.startsWith('integration')),
    ).toEqual([]);

    // The developer ran the tests in green, which rewrote test/unit/last-run.json: not the developer's to commit.
    const green = await git(repository, ['show', '--format=%B', '--name-only', done.shas.green!]);
    expect(green).toContain('Maestro-Reverted: test/unit/last-run.json');
    expect(green.split('\n')).not.toContain('test/unit/last-run.json');
    expect(green.split('\n')).toContain('src/cart.js');
    const commit = (await eventsOf(workflowId)).find(
      (event) => event.kind === 'phase.commit' && (event.data as { sha: string }).sha === done.shas.green,
    )!;
    expect(commit.data).toMatchObject({ reverted: ['test/unit/last-run.json'] });
  });

  test('a verify that cites a test the branch does not have fails with that reason; the next attempt, citing real tests, passes', async () => {
    await harness.sampleProject('evidence');
    harness.script(
      {
        match: { key: '18-1', phase: 'verify', attempt: 1 },
        turns: [
          runTests(),
          finish('Both criteria are met.', [
            CART_TAX_VERDICTS[0]!,
            {
              index: 2,
              met: true,
              note: 'checkout is tested',
              evidence: [{ file: FILES.integrationTest.path, test: 'checkout reports the tax line' }],
            },
          ]),
        ],
      },
      ...cartTaxConversations('18-1'),
    );
    const { workflowId } = await start('evidence', '18-1', 'medium');
    const gate = await harness.waitFor(
      'evidence',
      '18-1',
      (state) => state.pendingGate?.gate === 'merge',
      'the merge approval',
    );
    const reason = `acceptance criteria not shown to be met: criterion 2 ("${CART_TAX_SPEC.acceptanceCriteria[1]}"): ${FILES.integrationTest.path} has no test named "checkout reports the tax line"`;
    const failed = (await eventsOf(workflowId)).find(
      (event) => event.kind === 'subtask.transition' && (event.data as { to: string }).to === 'failed',
    )!;
    expect(failed.message).toContain(`verify attempt 1 failed: ${reason}`);
    // The next attempt is told why, and its verdicts hold: both criteria met, the gate reached on attempt 2.
    const second = harness.scripted.requests.find(
      (request) => request.key === '18-1' && request.phase === 'verify' && request.attempt === 2 && request.turn === 0,
    )!;
    expect(second.task).toContain('The previous attempt failed its check');
    expect(second.task).toContain('has no test named "checkout reports the tax line"');
    const checks = await harness.prisma.checkRun.findMany({
      where: { workflowId, phase: 'verify' },
      orderBy: { startedAt: 'asc' },
    });
    expect(checks.map((check) => [check.attempt, check.passed])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(checks[0]!.reason).toContain(reason);
    expect(checks[1]!.reason).toContain(`2 ← ${FILES.integrationTest.path} › "checkout reports tax and total"`);
    expect(gate.checklist.filter((item) => item.kind === 'criterion').map((item) => item.done)).toEqual([true, true]);
    await harness.api.subtask.approve.mutate({ project: 'evidence', key: '18-1' });
    await harness.waitFor('evidence', '18-1', (state) => state.status === 'completed', 'the subtask to merge');
    await harness.recordHistory(workflowId, 'verify-without-evidence-then-retried');
  });
});

describe('merging when the base branch moved', () => {
  test('a base that moved without conflict: the branch is rebased, verified again, then merged', async () => {
    const repository = await harness.sampleProject('moving');
    harness.script(...cartTaxConversations('13-1'));
    const { workflowId } = await start('moving', '13-1', 'medium');
    await harness.waitFor('moving', '13-1', (state) => state.pendingGate?.gate === 'merge', 'the merge approval');
    writeFileSync(path.join(repository, 'CHANGELOG.md'), '# Changes\n');
    await git(repository, ['add', 'CHANGELOG.md']);
    await git(repository, ['commit', '--quiet', '-m', 'a colleague adds a changelog'], {
      name: 'Colleague',
      email: 'colleague@example.com',
    });
    const moved = await git(repository, ['rev-parse', 'main']);
    await harness.api.subtask.approve.mutate({ project: 'moving', key: '13-1' });
    const done = await harness.waitFor(
      'moving',
      '13-1',
      (state) => state.status === 'completed',
      'the merge after a rebase',
    );
    expect(done.shas.base).toBe(moved);
    expect(await git(repository, ['rev-parse', `${done.shas.merge}^1`])).toBe(moved);
    expect(readFileSync(path.join(repository, 'CHANGELOG.md'), 'utf8')).toBe('# Changes\n');
    const transitions = (await eventsOf(workflowId))
      .filter((event) => event.kind === 'subtask.transition')
      .map((event) => event.message);
    expect(transitions).toContainEqual(
      expect.stringMatching(/^main moved to [0-9a-f]{8}: rebased and verifying again$/),
    );
    await harness.recordHistory(workflowId, 'moved-base-rebased');
  });

  test('a base that moved in a conflicting way blocks with the conflicts listed, and merges nothing', async () => {
    const repository = await harness.sampleProject('clashing');
    harness.script(...cartTaxConversations('14-1'));
    const { workflowId } = await start('clashing', '14-1', 'medium');
    await harness.waitFor('clashing', '14-1', (state) => state.pendingGate?.gate === 'merge', 'the merge approval');
    // The colleague adds a function where the subtask added total(): the same lines, differently.
    const cart = readFileSync(path.join(repository, 'src', 'cart.js'), 'utf8');
    writeFileSync(
      path.join(repository, 'src', 'cart.js'),
      `${cart}\nexport function discount(items, rate) {\n  return subtotal(items) * rate;\n}\n`,
    );
    await git(repository, ['commit', '--quiet', '-am', 'a colleague adds discounts'], {
      name: 'Colleague',
      email: 'colleague@example.com',
    });
    const theirs = await git(repository, ['rev-parse', 'main']);
    await harness.api.subtask.approve.mutate({ project: 'clashing', key: '14-1' });
    const blocked = await harness.waitFor(
      'clashing',
      '14-1',
      (state) => state.status === 'blocked',
      'the conflict to block the merge',
    );
    expect(blocked.blocked?.conflicts).toEqual(['src/cart.js']);
    expect(blocked.blocked?.reason).toBe('main moved and the branch conflicts with it in src/cart.js');
    expect(await git(repository, ['rev-parse', 'main'])).toBe(theirs);
    await harness.api.subtask.override.mutate({
      project: 'clashing',
      key: '14-1',
      override: { action: 'cancel', reason: 'will redo it on the new cart' },
    });
    await harness.waitFor('clashing', '14-1', (state) => state.status === 'cancelled', 'the cancellation');
    await harness.recordHistory(workflowId, 'conflict-then-cancelled');
  });
});

describe('going back', () => {
  test('reset to an earlier phase drops the later work and does it again', async () => {
    const repository = await harness.sampleProject('rewound');
    harness.script(
      ...cartTaxConversations('15-1').map((conversation) =>
        conversation.match.phase === 'integration_red'
          ? { ...conversation, match: { ...conversation.match, attempt: 2 } }
          : conversation,
      ),
      {
        match: { key: '15-1', phase: 'integration_red', attempt: 1 },
        turns: [{ ...read('src/checkout.js'), delayMs: 60_000 }],
      },
    );
    const { workflowId } = await start('rewound', '15-1');
    await eventually(
      () => harness.scripted.requests.find((request) => request.key === '15-1' && request.phase === 'integration_red'),
      60_000,
      'integration red to start',
    );
    const before = await harness.api.subtask.state.query({ project: 'rewound', key: '15-1' });
    await harness.api.subtask.override.mutate({
      project: 'rewound',
      key: '15-1',
      override: { action: 'reset', phase: 'green', reason: 'green took a shortcut' },
    });
    const again = await harness.waitFor('rewound', '15-1', (state) => state.phase === 'green', 'the reset to green');
    expect(again.shas.refactor).toBeUndefined();
    expect(again.checklist.find((item) => item.id === 'phase:green')?.done).toBe(false);
    // The long integration_red attempt was cut short; the retried phase goes through as attempt 1 of a new run, so script it.
    harness.script({
      match: { key: '15-1', phase: 'integration_red' },
      turns: [read('src/checkout.js'), write(FILES.integrationTest), finish('Added the integration test.')],
    });
    const done = await harness.waitFor(
      'rewound',
      '15-1',
      (state) => state.status === 'completed',
      'completion after the reset',
    );
    expect(done.shas.green).not.toBe(before.shas.green);
    const greens = (await git(repository, ['log', '--format=%s', `${done.shas.base}..${done.shas.merge}`]))
      .split('\n')
      .filter((subject) => subject.startsWith('[green]'));
    expect(greens).toHaveLength(1);
    const reset = (await eventsOf(workflowId)).find((event) => event.kind === 'override.reset')!;
    expect(reset).toMatchObject({ actor: 'user:local', message: 'reset to green: green took a shortcut' });
    await harness.recordHistory(workflowId, 'reset-to-green');
  });
});

describe('overrides and bad messages', () => {
  test('high risk waits before any agent acts; bad messages are answered clearly; reassign, pause, skip and force complete work', async () => {
    await harness.sampleProject('steered');
    harness.script(
      {
        match: { key: '7-1', phase: 'green' },
        turns: [{ ...read(FILES.redTest.path), delayMs: 1_500 }, write(FILES.greenCode), finish('Added total().')],
      },
      {
        match: { key: '7-1', phase: 'refactor' },
        turns: [{ ...read('src/cart.js'), delayMs: 60_000 }, finish('never reached')],
      },
      ...cartTaxConversations('7-1'),
    );
    const { workflowId } = await start('steered', '7-1', 'high');
    const planned = await harness.waitFor(
      'steered',
      '7-1',
      (state) => state.pendingGate?.gate === 'plan',
      'the plan approval',
    );
    expect(planned.status).toBe('pending');
    expect(harness.scripted.requests.filter((request) => request.key === '7-1')).toEqual([]);

    // Messages the workflow cannot accept are refused with the reason.
    const badPhase = await rejection(
      harness.api.subtask.reject.mutate({ project: 'steered', key: '7-1', comment: 'no', returnTo: 'yellow' as never }),
    );
    expect(badPhase.data?.code).toBe('BAD_REQUEST');
    expect(badPhase.message).toMatch(/unknown phase; the phases are red, green/);
    const resumeUnpaused = await rejection(
      harness.api.subtask.override.mutate({ project: 'steered', key: '7-1', override: { action: 'resume' } }),
    );
    expect(resumeUnpaused.message).toBe('the subtask is not paused');
    const retryUnblocked = await rejection(
      harness.api.subtask.override.mutate({ project: 'steered', key: '7-1', override: { action: 'retry' } }),
    );
    expect(retryUnblocked.message).toBe('retry answers a blocked subtask; this one is pending');
    const shortReason = await rejection(
      harness.api.subtask.override.mutate({
        project: 'steered',
        key: '7-1',
        override: { action: 'pause', reason: 'x' },
      }),
    );
    expect(shortReason.message).toMatch(/give a reason of a few words/);
    const unknown = await rejection(harness.api.subtask.approve.mutate({ project: 'steered', key: '9-9' }));
    expect(unknown.data?.code).toBe('NOT_FOUND');

    await harness.api.subtask.override.mutate({
      project: 'steered',
      key: '7-1',
      override: {
        action: 'reassign',
        role: 'tester',
        taskQueue: 'maestro-developer',
        reason: 'the tester pool is busy',
      },
    });
    await harness.api.subtask.approve.mutate({ project: 'steered', key: '7-1', comment: 'plan ok' });
    const nothingPending = await rejection(harness.api.subtask.approve.mutate({ project: 'steered', key: '7-1' }));
    expect(nothingPending.data?.code).toBe('PRECONDITION_FAILED');
    expect(nothingPending.message).toMatch(/^nothing waits for approval: the subtask is/);

    // Pause while green runs: green finishes, and nothing new starts until resume.
    await harness.waitFor('steered', '7-1', (state) => state.phase === 'green', 'green to start');
    await harness.api.subtask.override.mutate({
      project: 'steered',
      key: '7-1',
      override: { action: 'pause', reason: 'lunch break' },
    });
    await harness.waitFor(
      'steered',
      '7-1',
      (state) => state.paused && state.shas.green !== undefined,
      'green to finish while paused',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(harness.scripted.requests.some((request) => request.key === '7-1' && request.phase === 'refactor')).toBe(
      false,
    );
    const resetForward = await rejection(
      harness.api.subtask.override.mutate({
        project: 'steered',
        key: '7-1',
        override: { action: 'reset', phase: 'verify', reason: 'jump ahead' },
      }),
    );
    expect(resetForward.message).toBe('reset goes back, not forward: the subtask is in green');
    await harness.api.subtask.override.mutate({
      project: 'steered',
      key: '7-1',
      override: { action: 'resume', reason: 'back' },
    });

    // Refactor hangs on a slow model: skip it.
    await eventually(
      () => harness.scripted.requests.find((request) => request.key === '7-1' && request.phase === 'refactor'),
      30_000,
      'refactor to start',
    );
    await harness.api.subtask.override.mutate({
      project: 'steered',
      key: '7-1',
      override: { action: 'skip', reason: 'nothing to refactor here' },
    });
    const merged = await harness.waitFor(
      'steered',
      '7-1',
      (state) => state.pendingGate?.gate === 'merge',
      'the merge gate of a high-risk subtask',
    );
    expect(merged.skipped).toEqual(['refactor']);
    expect(merged.checklist.find((item) => item.id === 'phase:refactor')).toMatchObject({
      done: true,
      note: 'skipped by user:local: nothing to refactor here',
    });

    await harness.api.subtask.override.mutate({
      project: 'steered',
      key: '7-1',
      override: { action: 'force_complete', reason: 'approved in the meeting' },
    });
    const done = await harness.waitFor(
      'steered',
      '7-1',
      (state) => state.status === 'completed',
      'the forced completion',
    );
    expect(done.shas.merge).toBeTruthy();

    const events = await eventsOf(workflowId);
    const overrides = events
      .filter((event) => event.kind.startsWith('override.'))
      .map((event) => [event.kind, event.actor]);
    expect(overrides).toEqual([
      ['override.reassign', 'user:local'],
      ['override.pause', 'user:local'],
      ['override.resume', 'user:local'],
      ['override.skip', 'user:local'],
      ['override.force_complete', 'user:local'],
    ]);
    const redHandoff = events.find(
      (event) => event.kind === 'phase.handoff' && (event.data as { phase: string }).phase === 'red',
    )!;
    expect(redHandoff.data).toMatchObject({ taskQueue: 'maestro-developer', role: 'tester' });
    const approvals = await harness.prisma.approval.findMany({
      where: { subtask: { workflowId } },
      orderBy: { requestedAt: 'asc' },
    });
    expect(approvals.map((approval) => [approval.gate, approval.status])).toEqual([
      ['plan', 'approved'],
      ['merge', 'withdrawn'],
    ]);
    await harness.recordHistory(workflowId, 'high-risk-overrides');
  });

  test('cancel kills the running command, ends the subtask, removes the worktree and leaves the branch for inspection', async () => {
    const hang = "console.log('suite started'); setInterval(() => {}, 1000);\n";
    const repository = await harness.sampleProject('hangs', {
      files: { 'hang-until-cancelled.js': hang },
      // Named apart from the durability test's hanging suite, which may run at the same time.
      testCommand: 'node hang-until-cancelled.js',
      withoutReports: true,
    });
    const { workflowId } = await start('hangs', '8-1');
    const running = await eventually(
      () =>
        listProcesses().find(
          (entry) => entry.command.includes('node hang-until-cancelled.js') && existsSync(`/proc/${entry.pid}`),
        ),
      60_000,
      'the hanging test command to run',
    );
    await harness.api.subtask.override.mutate({
      project: 'hangs',
      key: '8-1',
      override: { action: 'cancel', reason: 'the suite hangs' },
    });
    const cancelled = await harness.waitFor(
      'hangs',
      '8-1',
      (state) => state.status === 'cancelled',
      'the cancellation',
    );
    await eventually(
      () => (listProcesses().some((entry) => entry.pid === running.pid) ? undefined : true),
      10_000,
      'the command to be killed',
    );
    expect(listProcesses().filter((entry) => entry.pgid === running.pgid)).toEqual([]);
    expect(await git(repository, ['branch', '--list', cancelled.branch!])).toContain(cancelled.branch);
    // The worktree goes once the subtask ended; the branch stays, free to check out.
    const events = await eventually(
      async () => {
        const written = await eventsOf(workflowId);
        return written.some((event) => event.kind === 'workspace.removed') ? written : undefined;
      },
      10_000,
      'the worktree to go',
    );
    expect(existsSync(cancelled.worktree!)).toBe(false);
    await git(repository, ['checkout', '--quiet', cancelled.branch!]);
    await git(repository, ['checkout', '--quiet', 'main']);
    expect(events.map((event) => event.kind).slice(-2)).toEqual(['subtask.cancelled', 'workspace.removed']);
    const cancelledEvent = events.find((event) => event.kind === 'subtask.cancelled')!;
    expect(cancelledEvent).toMatchObject({ actor: 'user:local' });
    expect(cancelledEvent.message).toMatch(
      /cancelled: the suite hangs; the branch maestro\/8-1-add-tax-to-the-cart-total is left for inspection/,
    );
    const afterwards = await rejection(
      harness.api.subtask.override.mutate({
        project: 'hangs',
        key: '8-1',
        override: { action: 'pause', reason: 'too late now' },
      }),
    );
    expect(afterwards.data?.code).toBe('PRECONDITION_FAILED');
  });
});

describe('registering projects and subtasks', () => {
  test('a repository given as a URL is cloned into the data folder', async () => {
    const origin = await harness.sampleProject('origin');
    const cloned = await harness.api.project.create.mutate({
      name: 'cloned',
      repository: `file://${origin}`,
      testCommand: 'npm test',
    });
    expect(cloned.repoUrl).toBe(`file://${origin}`);
    expect(cloned.repoPath).toBe(path.join(harness.dataDir, 'repos', 'cloned'));
    expect(await git(cloned.repoPath, ['rev-parse', 'main'])).toBe(await git(origin, ['rev-parse', 'main']));
  });

  test('project.create says what is wrong with a repository', async () => {
    const notRepo = await rejection(
      harness.api.project.create.mutate({ name: 'nowhere', repository: '/tmp', testCommand: 'npm test' }),
    );
    expect(notRepo.message).toMatch(/\/tmp is not a git repository: run `git init` there, or give a URL to clone/);
    const missing = await rejection(
      harness.api.project.create.mutate({ name: 'missing', repository: '/no/such/repo', testCommand: 'npm test' }),
    );
    expect(missing.message).toBe('/no/such/repo does not exist: give the path of a git repository, or a URL to clone.');
    const shell = await rejection(
      harness.api.project.create.mutate({ name: 'shelly', repository: '/tmp', testCommand: 'npm test && rm -rf /' }),
    );
    expect(shell.data?.code).toBe('BAD_REQUEST');
    expect(shell.message).toMatch(/runs without a shell/);
    const repository = await harness.sampleProject('branches');
    const wrongBranch = await rejection(
      harness.api.project.create.mutate({
        name: 'branches2',
        repository,
        baseBranch: 'develop',
        testCommand: 'npm test',
      }),
    );
    expect(wrongBranch.message).toMatch(
      /The branch develop does not exist in .*; its branches are main: set baseBranch to one of them/,
    );
    const duplicate = await rejection(
      harness.api.project.create.mutate({ name: 'branches', repository, testCommand: 'npm test' }),
    );
    expect(duplicate.data?.code).toBe('CONFLICT');
    expect(duplicate.message).toBe('A project named branches exists already: pick another name.');
  });

  test('subtask.start validates the spec and its references', async () => {
    const bad = await rejection(
      harness.api.subtask.start.mutate({
        project: 'happy',
        key: 'three one',
        title: 'x',
        acceptanceCriteria: [],
        risk: 'extreme',
      } as never),
    );
    expect(bad.data?.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/use a key like 3-1/);
    const noProject = await rejection(start('ghost-town', '1-1'));
    expect(noProject.message).toBe(
      'No project named ghost-town: create it first (project.create; on the command line: maestro project add ghost-town --repository <path> --test-command "<command>").',
    );
    const unknownDependency = await rejection(
      harness.api.subtask.start.mutate({
        project: 'happy',
        key: '3-2',
        risk: 'low',
        ...CART_TAX_SPEC,
        dependencies: ['9-9'],
      }),
    );
    expect(unknownDependency.message).toBe('Unknown dependencies 9-9: start those subtasks first.');
  });
});
