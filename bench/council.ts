/**
 * Council latency against its slowest member, printed, never asserted: councils of three scripted
 * members that take about 2, 4 and 6 seconds, read from the council workflows' histories:
 *   council     the council workflow, start to finish (members, tests, decision, apply, clean-up)
 *   reference   the slowest member's run (its agent-run workflow, start to end) + the slowest
 *               candidate's test run (its run time, not its wait for a runner's slot)
 * Target: council under 1.2 × reference.
 * Usage: npm run bench:council [-- --councils 5]
 */
import { parseArgs } from 'node:util';
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { CART_TAX_UNIT_SPEC, FILES, cartTaxConversations, finish, read, write } from '../stack/demo/cart-tax-script.js';
import type { ScriptedConversation } from '../stack/scripted-model/script.js';
import { subtaskEnd } from './subtask-end.js';
import { startSubtaskHarness } from '../test/support/subtask-harness.js';

const { values } = parseArgs({ options: { councils: { type: 'string', default: '5' } } });
const councils = Number(values.councils);
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const free = { contextWindow: 128_000, inputPerMillion: 0, outputPerMillion: 0, toolCalling: true, maxConcurrent: 4 };
const KEYS = {
  OPENAI_API_KEY: 'sk-bench-openai-council-0000000000',
  ANTHROPIC_API_KEY: 'sk-ant-bench-council-111111111111',
  GEMINI_API_KEY: 'AIzaBenchCouncil2222222222222222222222',
};
const MEMBERS = { 'member-a': 1_000, 'member-b': 2_000, 'member-c': 3_000 } as const;

const harness = await startSubtaskHarness(
  'bench-council',
  {
    MAESTRO_MODEL_BASE_URL: '',
    MAESTRO_MODEL: '',
    MAESTRO_STRATEGIC_REVIEW: 'false',
    MAESTRO_COUNCIL: 'true',
    MAESTRO_MAX_ATTEMPTS: '1',
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
          'member-a': { ...free, provider: 'openai' },
          'member-b': { ...free, provider: 'anthropic' },
          'member-c': { ...free, provider: 'google' },
        },
        routing: { tactical: { cheap: ['dev'], strong: ['dev'] }, strategic: ['dev'], strongest: ['dev'] },
      },
      escalation: { council: { members: Object.keys(MEMBERS) } },
      budgets: { councilDailyUsd: 1_000 },
    }),
  },
);

const timeOf = (event: HistoryEvent) => tsToMs(event.eventTime!);

/**
 * Per activity type, each activity's run time: from its (last) start to its completion, not counting
 * the time it waited for a worker's slot.
 */
function durations(events: HistoryEvent[]): Map<string, number[]> {
  const types = new Map<number, string>();
  const startedAt = new Map<number, number>();
  const result = new Map<string, number[]>();
  for (const event of events) {
    if (event.activityTaskScheduledEventAttributes)
      types.set(Number(event.eventId), event.activityTaskScheduledEventAttributes.activityType!.name!);
    const started = event.activityTaskStartedEventAttributes;
    if (started) startedAt.set(Number(started.scheduledEventId), timeOf(event));
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const id = Number(completed.scheduledEventId);
      const type = types.get(id)!;
      result.set(type, [...(result.get(type) ?? []), timeOf(event) - startedAt.get(id)!]);
    }
  }
  return result;
}

/** Each member's run, start to end, from its own agent-run workflow's history. */
async function memberRunTimes(councilEvents: HistoryEvent[]): Promise<number[]> {
  const ids = councilEvents.flatMap((event) => {
    const started = event.startChildWorkflowExecutionInitiatedEventAttributes;
    return started?.workflowType?.name === 'agentRunWorkflow' ? [started.workflowId!] : [];
  });
  if (ids.length === 0) throw new Error('the council ran no member as an agent run');
  return Promise.all(
    ids.map(async (id) => {
      const events = (await harness.temporal.workflow.getHandle(id).fetchHistory()).events ?? [];
      return timeOf(events.at(-1)!) - timeOf(events[0]!);
    }),
  );
}

try {
  const ratios: Array<{ council: number; reference: number }> = [];
  for (let index = 0; index < councils; index++) {
    const key = `${index + 1}-1`;
    const project = `council-bench-${index + 1}`;
    await harness.sampleProject(project, { withoutIntegration: true });
    const members: ScriptedConversation[] = Object.entries(MEMBERS).map(([model, delayMs]) => ({
      match: { key, phase: 'green', model },
      turns: [
        { ...write(model === 'member-b' ? FILES.greenCode : FILES.wrongGreenCode), delayMs },
        { ...finish('A candidate.'), delayMs },
      ],
    }));
    harness.script(
      ...members,
      {
        match: { key, phase: 'green', model: 'dev' },
        turns: [read(FILES.redTest.path), write(FILES.wrongGreenCode), finish('Added total().')],
      },
      ...cartTaxConversations(key, { integration: false }),
    );
    const { workflowId } = await harness.api.subtask.start.mutate({ project, key, risk: 'low', ...CART_TAX_UNIT_SPEC });
    await subtaskEnd(harness, project, key, workflowId);
    const events =
      (await harness.temporal.workflow.getHandle(`council-${workflowId}-green-1`).fetchHistory()).events ?? [];
    const byType = durations(events);
    ratios.push({
      council: timeOf(events.at(-1)!) - timeOf(events[0]!),
      reference: Math.max(...(await memberRunTimes(events))) + Math.max(...byType.get('runCheck')!),
    });
  }
  const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
  console.log(`Council latency, ${councils} councils of three scripted members (about 2, 4 and 6 s each), one winner:`);
  for (const [index, ratio] of ratios.entries()) {
    console.log(
      `  council ${index + 1}: ${ratio.council} ms; slowest member + slowest test run ${ratio.reference} ms; ratio ${(ratio.council / ratio.reference).toFixed(2)}`,
    );
  }
  console.log(
    `  median ratio ${median(ratios.map((ratio) => ratio.council / ratio.reference)).toFixed(2)} (target < 1.20)`,
  );
} finally {
  await harness.close();
}
