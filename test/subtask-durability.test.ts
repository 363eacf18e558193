import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { git } from '../git/git.js';
import { CART_TAX_SPEC, cartTaxConversations } from '../stack/demo/cart-tax-script.js';
import { descendantsOf, eventually, listProcesses } from './support/maestro-process.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';

let harness: SubtaskHarness;

beforeAll(async () => {
  // The developer and the model gateways in processes of their own, so each can be killed alone.
  harness = await startSubtaskHarness('durability', {
    MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator,tester,runner,council;developer;models',
    // Short silence limits, to watch a hung command be caught (the sample tests print within a second).
    MAESTRO_COMMAND_SILENCE_WARNING_MS: '1500',
    MAESTRO_COMMAND_SILENCE_KILL_MS: '4000',
  });
});

afterAll(async () => {
  await harness?.close();
});

/** The agents of a subtask, with one turn of one phase held for a while. */
function withSlowTurn(key: string, phase: string, delayMs: number, slowTurn = 0) {
  return cartTaxConversations(key).map((conversation) =>
    conversation.match.phase === phase
      ? {
          ...conversation,
          turns: conversation.turns.map((turn, index) => (index === slowTurn ? { ...turn, delayMs } : turn)),
        }
      : conversation,
  );
}

/** How many times each model turn of the subtask was asked (`<phase>/<attempt>/<turn>`), and the calls charged as answered. */
async function callsOf(key: string, workflowId: string) {
  const asked = new Map<string, number>();
  for (const request of harness.scripted.requests.filter((entry) => entry.key === key)) {
    const turn = `${request.phase}/${request.attempt}/${request.turn}`;
    asked.set(turn, (asked.get(turn) ?? 0) + 1);
  }
  const answered = await harness.prisma.modelCall.count({ where: { workflowId, outcome: 'ok' } });
  return {
    asked,
    askedAgain: [...asked].filter(([, times]) => times > 1),
    requests: [...asked.values()].reduce((a, b) => a + b, 0),
    answered,
  };
}

describe('durability', () => {
  test('the developer worker killed during its phase: the run goes on at its next step, no model call is made twice, one commit', async () => {
    const repository = await harness.sampleProject('killed');
    harness.script(...withSlowTurn('10-1', 'green', 4_000));
    const { workflowId } = await harness.api.subtask.start.mutate({
      project: 'killed',
      key: '10-1',
      risk: 'low',
      ...CART_TAX_SPEC,
    });

    await eventually(
      () => harness.scripted.requests.find((request) => request.key === '10-1' && request.phase === 'green'),
      60_000,
      'green to start',
    );
    const developer = descendantsOf(harness.maestro.pid).find((entry) => entry.command.includes('--queues developer'))!;
    process.kill(developer.pid, 'SIGKILL');
    const restarted = await harness.maestro.waitForLog((record) => record.msg === 'worker:developer restarted', 15_000);
    expect(restarted.pid).not.toBe(developer.pid);

    const done = await harness.waitFor(
      'killed',
      '10-1',
      (state) => state.status === 'completed',
      'the subtask to complete after the kill',
      180_000,
    );
    const log = await git(repository, ['log', '--format=%s', `${done.shas.base}..${done.shas.merge}`]);
    expect(log.split('\n').filter((subject) => subject.startsWith('[green]'))).toHaveLength(1);
    // The model call in flight was the gateway's, not the developer's: nothing is asked or paid twice.
    const calls = await callsOf('10-1', workflowId);
    expect(calls.askedAgain).toEqual([]);
    expect(calls.asked.get('green/1/0')).toBe(1);
    expect(calls.answered).toBe(calls.requests);
    const commits = await harness.prisma.activityEvent.findMany({ where: { workflowId, kind: 'phase.commit' } });
    expect(commits.filter((event) => (event.data as { sha: string }).sha === done.shas.green)).toHaveLength(1);
    await harness.recordHistory(workflowId, 'developer-killed');
  });

  test('the model gateway killed mid-call: the run resumes at that step within seconds, and only that call is asked again', async () => {
    const repository = await harness.sampleProject('gateway-killed');
    // Green's third turn (run_tests, after a read and a write were answered and done) is held.
    harness.script(...withSlowTurn('10-2', 'green', 6_000, 2));
    const { workflowId } = await harness.api.subtask.start.mutate({
      project: 'gateway-killed',
      key: '10-2',
      risk: 'low',
      ...CART_TAX_SPEC,
    });
    await eventually(
      () =>
        harness.scripted.requests.find(
          (request) => request.key === '10-2' && request.phase === 'green' && request.turn === 2,
        ),
      90_000,
      "green's third turn to be asked",
    );
    const gateway = descendantsOf(harness.maestro.pid).find((entry) => entry.command.includes('--queues models'))!;
    process.kill(gateway.pid, 'SIGKILL');
    const killedAt = Date.now();
    await harness.maestro.waitForLog((record) => record.msg === 'worker:models restarted', 15_000);
    // The restarted gateway fails the call its dead self was running: it is retried now, not at its heartbeat timeout.
    const failedAtOnce = await harness.maestro.waitForLog(
      (record) => String(record.msg).includes('activities of dead worker processes'),
      15_000,
    );
    expect(failedAtOnce.activities).toBe(1);
    const askedAgain = await eventually(
      () =>
        harness.scripted.requests.filter(
          (request) => request.key === '10-2' && request.phase === 'green' && request.turn === 2,
        )[1],
      60_000,
      'the held call to be asked again',
    );
    const resumedInMs = Date.parse(askedAgain.at) - killedAt;
    console.info(`the step resumed ${resumedInMs} ms after its gateway was SIGKILLed`);

    const done = await harness.waitFor(
      'gateway-killed',
      '10-2',
      (state) => state.status === 'completed',
      'the subtask to complete after the gateway was killed',
      180_000,
    );
    const log = await git(repository, ['log', '--format=%s', `${done.shas.base}..${done.shas.merge}`]);
    expect(log.split('\n').filter((subject) => subject.startsWith('[green]'))).toHaveLength(1);
    const calls = await callsOf('10-2', workflowId);
    // Only the call in flight at the kill is asked twice; the read and the write before it are not.
    expect(calls.askedAgain).toEqual([['green/1/2', 2]]);
    expect(calls.asked.get('green/1/0')).toBe(1);
    expect(calls.asked.get('green/1/1')).toBe(1);
    // Every answered call is charged once; the one cut off stays on the ledger, unsettled, at its most.
    expect(calls.answered).toBe(calls.requests - 1);
    const cutOff = await harness.prisma.modelCall.count({
      where: { workflowId, outcome: { in: ['sent', 'unknown'] } },
    });
    expect(cutOff).toBe(1);
    await harness.recordHistory(workflowId, 'gateway-killed');
  });

  test('the Temporal dev server killed mid-run is restarted, and the subtask resumes and completes', async () => {
    await harness.sampleProject('restarted');
    harness.script(...withSlowTurn('11-1', 'integration_green', 3_000));
    const { workflowId } = await harness.api.subtask.start.mutate({
      project: 'restarted',
      key: '11-1',
      risk: 'low',
      ...CART_TAX_SPEC,
    });

    await eventually(
      () =>
        harness.scripted.requests.find((request) => request.key === '11-1' && request.phase === 'integration_green'),
      60_000,
      'integration green to start',
    );
    const temporal = descendantsOf(harness.maestro.pid).find((entry) =>
      entry.command.includes('temporal server start-dev'),
    )!;
    process.kill(-temporal.pgid, 'SIGKILL');
    await harness.maestro.waitForLog((record) => record.msg === 'Temporal stopped unexpectedly; restarting it', 15_000);
    await harness.maestro.waitForLog((record) => record.msg === 'Temporal restarted', 60_000);

    const done = await harness.waitFor(
      'restarted',
      '11-1',
      (state) => state.status === 'completed',
      'the subtask to complete after the restart',
      180_000,
    );
    expect(done.shas.merge).toBeTruthy();
    const transitions = await harness.prisma.activityEvent.findMany({
      where: { workflowId, kind: 'subtask.transition' },
      orderBy: { id: 'asc' },
    });
    expect(transitions.at(-1)!.message).toMatch(/^merged into main/);
  });

  test('a command that hangs silently is warned about, then killed at the silence limit with its whole process group', async () => {
    const hang =
      "import { spawn } from 'node:child_process';\nspawn('sleep', ['300'], { stdio: 'ignore' });\nsetInterval(() => {}, 1000);\n";
    await harness.sampleProject('silent', {
      files: { 'hang.js': hang },
      testCommand: 'node hang.js',
      withoutReports: true,
    });
    const { workflowId } = await harness.api.subtask.start.mutate({
      project: 'silent',
      key: '16-1',
      risk: 'low',
      ...CART_TAX_SPEC,
    });
    const hung = await eventually(
      () => listProcesses().find((entry) => entry.command === 'node hang.js'),
      60_000,
      'the hanging command',
    );
    const warnings = await eventually(
      async () => {
        const found = await harness.prisma.activityEvent.findMany({
          where: { workflowId, kind: 'command.warning' },
          orderBy: { id: 'asc' },
        });
        return found.length >= 2 ? found : undefined;
      },
      30_000,
      'the silence warning and the kill',
    );
    expect(warnings[0]!.message).toMatch(
      /^`node hang.js` has printed nothing for \d+ s; it is stopped at 4 s of silence$/,
    );
    expect(warnings[1]!.message).toMatch(/^`node hang.js` printed nothing for \d+ s: stopping it as hung$/);
    await eventually(
      () => (listProcesses().some((entry) => entry.pgid === hung.pgid) ? undefined : true),
      15_000,
      'the whole group to be gone',
    );
    await harness.api.subtask.override.mutate({
      project: 'silent',
      key: '16-1',
      override: { action: 'cancel', reason: 'the suite hangs' },
    });
  });

  test('a subtask waits for its dependencies and starts when they complete', async () => {
    await harness.sampleProject('ordered');
    harness.script(...cartTaxConversations('12-1'), ...cartTaxConversations('12-2'));
    // 12-1 waits for the plan approval, so 12-2 is sure to find it unfinished.
    await harness.api.subtask.start.mutate({ project: 'ordered', key: '12-1', risk: 'high', ...CART_TAX_SPEC });
    await harness.api.subtask.start.mutate({
      project: 'ordered',
      key: '12-2',
      risk: 'low',
      ...CART_TAX_SPEC,
      title: 'Show the tax on the receipt',
      dependencies: ['12-1'],
    });
    const waiting = await harness.waitFor(
      'ordered',
      '12-2',
      (state) => (state.waitingFor ?? []).includes('12-1'),
      'the dependent to wait',
    );
    expect(waiting.status).toBe('pending');

    await harness.waitFor('ordered', '12-1', (state) => state.pendingGate?.gate === 'plan', 'the plan gate');
    await harness.api.subtask.approve.mutate({ project: 'ordered', key: '12-1' });
    await harness.waitFor('ordered', '12-1', (state) => state.pendingGate?.gate === 'merge', 'the merge gate');
    expect((await harness.api.subtask.state.query({ project: 'ordered', key: '12-2' })).status).toBe('pending');
    await harness.api.subtask.approve.mutate({ project: 'ordered', key: '12-1' });

    const second = await harness.waitFor(
      'ordered',
      '12-2',
      (state) => state.status !== 'pending',
      'the dependent to start',
    );
    expect(second.waitingFor).toBeUndefined();
    const unblocked = await harness.prisma.activityEvent.findFirstOrThrow({
      where: { workflowId: 'subtask-ordered-12-1', kind: 'subtask.dependents_unblocked' },
    });
    expect(unblocked.message).toBe('unblocked subtask-ordered-12-2');
    await harness.recordHistory('subtask-ordered-12-1', 'dependency-unblocks-dependents');
  });
});
