/**
 * Cost accounting against what the provider saw, printed, never asserted: subtasks run on priced
 * models whose every answer reports a known usage, the worker is killed (SIGKILL) in the middle of
 * model calls, the workflows replay on the restarted worker, and the ledger is compared with the
 * usage of every answer the scripted provider actually delivered.
 * Usage: npm run bench:costs [-- --subtasks 6 --kills 3]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_REGISTRY } from '../domain/models.js';
import { callCost, formatUsdExact, parseUsd } from '../domain/money.js';
import { CART_TAX_UNIT_SPEC, cartTaxConversations } from '../stack/demo/cart-tax-script.js';
import { descendantsOf } from '../test/support/maestro-process.js';
import { subtaskEnd } from './subtask-end.js';
import { startSubtaskHarness } from '../test/support/subtask-harness.js';

const { values } = parseArgs({
  options: { subtasks: { type: 'string', default: '6' }, kills: { type: 'string', default: '3' } },
});
const subtasks = Number(values.subtasks);
const kills = Number(values.kills);

const KEYS = {
  OPENAI_API_KEY: 'sk-bench-openai-000000000000000000',
  ANTHROPIC_API_KEY: 'sk-ant-bench-11111111111111111111',
};
const harness = await startSubtaskHarness(
  'bench-costs',
  { MAESTRO_MODEL_BASE_URL: '', MAESTRO_MODEL: '', ...KEYS },
  {
    config: (scripted) => ({
      models: {
        providers: {
          openai: { baseUrl: `${scripted.origin}/openai/v1` },
          anthropic: { baseUrl: `${scripted.origin}/anthropic/v1` },
        },
      },
    }),
  },
);

try {
  await harness.sampleProject('costs', { withoutIntegration: true });
  for (let index = 0; index < subtasks; index++) {
    const key = `${index + 1}-1`;
    // Uneven usage, cached tokens and a slow answer now and then, for the kills to land in.
    harness.script(
      ...cartTaxConversations(key, { integration: false }).map((conversation) => ({
        ...conversation,
        turns: conversation.turns.map((turn, turnIndex) => ({
          ...turn,
          usage: {
            inputTokens: 1_000 + 137 * index + 53 * turnIndex,
            outputTokens: 100 + 29 * turnIndex,
            cachedInputTokens: 100 * (turnIndex % 3),
          },
          delayMs: turnIndex === 0 ? 1_500 : 0,
        })),
      })),
    );
  }
  const started = performance.now();
  const handles = await Promise.all(
    Array.from({ length: subtasks }, (_, index) =>
      harness.api.subtask.start.mutate({
        project: 'costs',
        key: `${index + 1}-1`,
        risk: 'low',
        ...CART_TAX_UNIT_SPEC,
        // Every other subtask is a hard-stop one: the strongest model, on Anthropic's protocol.
        ...(index % 2 === 1 ? { title: `${CART_TAX_UNIT_SPEC.title}, with payment rounding` } : {}),
      }),
    ),
  );

  for (let kill = 0; kill < kills; kill++) {
    await sleep(8_000);
    const worker = descendantsOf(harness.maestro.pid).find((entry) => entry.command.includes('--queues'));
    if (worker) process.kill(worker.pid, 'SIGKILL');
  }
  await Promise.all(handles.map((handle, index) => subtaskEnd(harness, 'costs', `${index + 1}-1`, handle.workflowId)));
  const elapsed = performance.now() - started;
  await harness.modelCallsSettled();

  const delivered = harness.scripted.requests.filter(
    (request) => request.status === 200 && request.answeredAt && request.usage,
  );
  const expected = delivered.reduce(
    (sum, request) => sum + callCost(request.usage!, DEFAULT_REGISTRY[request.model]!),
    0n,
  );
  const ledgerRows = await harness.prisma.modelCall.findMany({ where: { outcome: 'ok' } });
  const ledger = ledgerRows.reduce((sum, row) => sum + parseUsd(row.costUsd.toFixed(12)), 0n);
  const unanswered = harness.scripted.requests.filter((request) => !request.answeredAt).length;
  const error = ledger - expected;

  console.log(
    `Cost accounting, ${subtasks} subtasks on gpt-4o-mini and claude-opus-4-1, worker killed ${kills} times during model calls (${(elapsed / 1000).toFixed(0)} s):`,
  );
  console.log(
    `  answers delivered by the provider   ${delivered.length} (${unanswered} cut off by a kill, never answered)`,
  );
  console.log(`  ledger rows                         ${ledgerRows.length}`);
  console.log(`  recorded usage × list prices        $${formatUsdExact(expected)}`);
  console.log(`  ledger                              $${formatUsdExact(ledger)}`);
  console.log(
    `  accounting error                    $${formatUsdExact(error < 0n ? -error : error)}${error === 0n ? ' (exact)' : ''}`,
  );
} finally {
  await harness.close();
}
