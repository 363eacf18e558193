import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { describe, expect, test } from 'vitest';
import { projectRoot } from '../../../runtime/project-root.js';
import { buildAgentSteps, councilMembersOf } from './agent-steps.js';
import { buildTimeline } from './timeline.js';

/** Histories recorded from real runs (test/histories), read as the API reads a live one. */
function recorded(name: string) {
  const history = historyFromJSON(
    JSON.parse(readFileSync(path.join(projectRoot(), 'test', 'histories', `${name}.json`), 'utf8')),
  );
  return buildTimeline(`subtask-${name}`, history.events ?? []);
}

/** The labels of checks scheduled with these inputs, each in a history of its own. */
function checkLabels(inputs: Array<Record<string, unknown>>): string[] {
  return inputs.map((input) => {
    const scheduled: proto.temporal.api.history.v1.IHistoryEvent = {
      eventType: proto.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      activityTaskScheduledEventAttributes: {
        activityId: '1',
        activityType: { name: 'runCheck' },
        taskQueue: { name: 'maestro-runner' },
        input: { payloads: [defaultPayloadConverter.toPayload(input)] },
      },
    };
    const steps = buildTimeline('subtask-labels', [scheduled]).phases.flatMap((visit) => visit.steps);
    expect(steps.map((step) => step.kind)).toEqual(['check']);
    return steps[0]!.label;
  });
}

const summary = (timeline: ReturnType<typeof recorded>) =>
  timeline.phases.map((visit) => `${visit.phase}:${visit.status}`);

describe('the phase timeline from a real history', () => {
  test('a medium-risk subtask rejected once, then approved: every phase, twice from green, with who decided', () => {
    const timeline = recorded('medium-rejected-then-approved');
    expect(timeline.status).toBe('completed');
    expect(summary(timeline)).toEqual([
      'setup:passed',
      'red:passed',
      'green:passed',
      'refactor:passed',
      'integration_red:passed',
      'integration_green:passed',
      'verify:passed',
      'complete:failed',
      'green:passed',
      'refactor:passed',
      'integration_red:passed',
      'integration_green:passed',
      'verify:passed',
      'complete:passed',
    ]);
    const red = timeline.phases[1]!;
    expect(red.steps.map((step) => [step.kind, step.status, step.attempt])).toEqual([
      ['agent', 'completed', 1],
      ['check', 'completed', 1],
    ]);
    expect(red.steps[0]!.outcome).toMatch(/^committed [0-9a-f]{8}/);
    expect(red.steps[1]).toMatchObject({ passed: true, taskQueue: 'maestro-runner', activityAttempts: 1 });
    expect(Date.parse(red.startedAt)).toBeLessThanOrEqual(Date.parse(red.endedAt!));

    const rejected = timeline.phases[7]!;
    expect(rejected.steps[0]).toMatchObject({ kind: 'approval', status: 'failed', actor: 'user:local' });
    expect(rejected.decisions).toEqual([
      expect.objectContaining({
        kind: 'reject',
        actor: 'user:local',
        detail: 'back to green: please name the rounding step',
      }),
    ]);
    const merged = timeline.phases.at(-1)!;
    expect(merged.steps.map((step) => step.kind)).toEqual(['approval', 'merge']);
    expect(merged.steps[1]!.outcome).toMatch(/^merged as [0-9a-f]{8}$/);
    expect(merged.decisions[0]).toMatchObject({ kind: 'approve', actor: 'user:local', detail: 'looks right' });
    expect(timeline.decisions.map((decision) => decision.action)).toEqual(['reject', 'approve']);
  });

  test('overrides: the plan gate, a reassign, a pause and resume, a skipped phase, a forced completion', () => {
    const timeline = recorded('high-risk-overrides');
    expect(timeline.phases[0]).toMatchObject({ phase: 'plan', status: 'passed' });
    expect(timeline.phases[0]!.decisions.map((decision) => decision.action)).toEqual(['reassign', 'approve']);
    expect(timeline.phases[0]!.decisions[0]!.detail).toBe('tester → maestro-developer · the tester pool is busy');
    const refactor = timeline.phases.find((visit) => visit.phase === 'refactor')!;
    expect(refactor.status).toBe('skipped');
    expect(refactor.steps[0]).toMatchObject({ kind: 'agent', status: 'cancelled' });
    expect(refactor.decisions[0]).toMatchObject({ action: 'skip', detail: 'nothing to refactor here' });
    expect(timeline.decisions.map((decision) => decision.action)).toEqual([
      'reassign',
      'approve',
      'pause',
      'resume',
      'skip',
      'force_complete',
    ]);
    expect(timeline.phases.at(-1)!.steps[0]).toMatchObject({
      kind: 'approval',
      status: 'completed',
      outcome: 'force complete by user:local',
    });
  });

  test('retries, the backoff between them, and a person answering the escalation', () => {
    const timeline = recorded('green-blocked-then-retried');
    const green = timeline.phases[2]!;
    expect(green.phase).toBe('green');
    expect(green.attempts).toBe(3);
    expect(green.steps.filter((step) => step.kind === 'check').map((step) => step.passed)).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(green.steps.filter((step) => step.kind === 'wait').map((step) => step.label)).toEqual([
      'Waited 50 ms',
      'Waited 100 ms',
    ]);
    const escalation = green.steps.find((step) => step.kind === 'escalation')!;
    expect(escalation).toMatchObject({
      status: 'completed',
      actor: 'user:local',
      outcome: 'answered by user:local: retry',
    });
    expect(green.decisions[0]).toMatchObject({ action: 'retry', detail: 'hint: round to cents with Math.round' });
    expect(green.status).toBe('passed');
  });

  test('an activity a dead worker left is retried, and the timeline says how many tries it took', () => {
    const timeline = recorded('developer-killed');
    const green = timeline.phases.find((visit) => visit.phase === 'green')!;
    expect(green.steps[0]).toMatchObject({ kind: 'agent', activityAttempts: 2, status: 'completed' });
  });
});

describe('the label of a check', () => {
  test('says why the check ran, from its purpose, whatever its attempt number', () => {
    expect(
      checkLabels([
        { phase: 'green', attempt: 2, purpose: 'attempt' },
        { phase: 'green', attempt: 1_101, purpose: 'council_candidate' },
        { phase: 'green', attempt: 2_000, purpose: 'council_winner' },
        { phase: 'verify', attempt: 2, purpose: 'rebase' },
      ]),
    ).toEqual([
      'Check, attempt 2',
      "Check of a council member's candidate",
      "Check of the council's winner",
      'Check after the rebase, round 2',
    ]);
  });

  test('in a history recorded before checks had a purpose, attempt 1000 and up is the council winner', () => {
    expect(
      checkLabels([{ phase: 'green', attempt: 3 }, { phase: 'green', attempt: 1_000 }, { phase: 'green' }]),
    ).toEqual(['Check, attempt 3', "Check of the council's winner", 'Check, attempt 1']);
    const green = recorded('council-saves-green')
      .phases.filter((visit) => visit.phase === 'green')
      .flatMap((visit) => visit.steps)
      .filter((step) => step.kind === 'check');
    expect(green.map((step) => step.label)).toEqual([
      'Check, attempt 1',
      'Check, attempt 2',
      'Check, attempt 3',
      'Check, attempt 4',
      "Check of the council's winner",
    ]);
  });
});

describe('the outcome of the baseline', () => {
  /** The baseline's step, from a history (in Temporal's JSON) of its activity scheduled and completed with this result. */
  function baselineOutcome(result: Record<string, unknown>): string | undefined {
    const payload = (value: unknown) => ({
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from(JSON.stringify(value)).toString('base64'),
    });
    const history = historyFromJSON({
      events: [
        {
          eventId: '1',
          eventType: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
          activityTaskScheduledEventAttributes: {
            activityId: '1',
            activityType: { name: 'runBaseline' },
            taskQueue: { name: 'maestro-runner' },
            input: { payloads: [payload({})] },
          },
        },
        {
          eventId: '2',
          eventType: 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
          activityTaskCompletedEventAttributes: { scheduledEventId: '1', result: { payloads: [payload(result)] } },
        },
      ],
    });
    const steps = buildTimeline('subtask-baseline', history.events ?? []).phases.flatMap((visit) => visit.steps);
    expect(steps.map((step) => [step.kind, step.status])).toEqual([['baseline', 'completed']]);
    return steps[0]!.outcome;
  }
  const run = (passed?: number) => ({ suite: 'unit', command: 'npm test', outcome: 'exited', exitCode: 0, passed });

  test("is the runner's sentence", () => {
    const sentence = "56 test(s) pass (from vitest's summary)";
    expect(baselineOutcome({ passing: 0, failing: 0, sentence, runs: [run(56)] })).toBe(sentence);
  });

  test('recorded before the sentence: counts where a report counted, never 0 where nothing did', () => {
    expect(baselineOutcome({ passing: 3, failing: 1, runs: [run(3)] })).toBe('3 test(s) pass, 1 already fail');
    expect(baselineOutcome({ passing: 0, failing: 0, runs: [run()] })).toBe(
      '`npm test` exited with 0, tests not counted',
    );
  });
});

describe("an agent run's steps from its own history", () => {
  test('the red agent: its briefing, each model call with the tools it called, each tool with its result, the commit', () => {
    const history = historyFromJSON(
      JSON.parse(readFileSync(path.join(projectRoot(), 'test', 'histories', 'agent-run-red.agent-run.json'), 'utf8')),
    );
    const steps = buildAgentSteps(history.events ?? []);
    expect(steps.map((step) => [step.kind, step.label, step.status, step.tries])).toEqual([
      ['prepare', 'Briefing and prompt', 'completed', 1],
      ['model', 'Model call 1 to scripted', 'completed', 1],
      ['tool', 'write_file test/unit/cart-total.test.js', 'completed', 1],
      ['model', 'Model call 2 to scripted', 'completed', 1],
      ['tool', 'run_tests', 'completed', 1],
      ['model', 'Model call 3 to scripted', 'completed', 1],
      ['commit', 'Commit', 'completed', 1],
    ]);
    expect(steps.map((step) => step.outcome)).toEqual([
      undefined,
      expect.stringMatching(/^calls write_file \(\d+ in, \d+ out\)$/),
      expect.stringMatching(/^wrote test\/unit\/cart-total\.test\.js \(\d+ bytes\)$/),
      expect.stringMatching(/^calls run_tests /),
      expect.stringMatching(/^## unit: `npm test`: \d+ passed, \d+ failed$/),
      expect.stringMatching(/^calls finish /),
      expect.stringMatching(/^committed [0-9a-f]{8}$/),
    ]);
  });
});

describe("a council's members from its history", () => {
  const recorded = (name: string) =>
    historyFromJSON(JSON.parse(readFileSync(path.join(projectRoot(), 'test', 'histories', `${name}.json`), 'utf8')))
      .events ?? [];

  test('each member is an agent run of its own: its model, its workflow and how it ended', () => {
    const members = councilMembersOf(recorded('council-workflow.member-runs'));
    expect(members.map((member) => [member.model, member.status])).toEqual([
      ['member-a', 'completed'],
      ['member-b', 'completed'],
      ['member-c', 'completed'],
    ]);
    expect(members[1]!.workflowId).toMatch(/^council-.*-green-1\/member\/member-b$/);
  });

  test('the judged council: both members ran to their end; a council recorded before members were runs has none', () => {
    expect(councilMembersOf(recorded('council-judged.member-runs')).map((member) => member.status)).toEqual([
      'completed',
      'completed',
    ]);
    expect(councilMembersOf(recorded('council-workflow'))).toEqual([]);
  });

  test("a member's own steps: briefing, model calls, tools, the commit", () => {
    const steps = buildAgentSteps(recorded('council-member-run.member-runs'));
    expect(steps.map((step) => step.kind)).toEqual(['prepare', 'model', 'tool', 'model', 'commit']);
  });
});
