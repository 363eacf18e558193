import type { ScriptedConversation, ScriptedTurn } from '../scripted-model/script.js';

/**
 * The script of the demo subtask (and of the tests' happy path): "Add tax to the cart", carried
 * through every TDD phase of the sample shop library.
 */
export const CART_TAX_SPEC = {
  title: 'Add tax to the cart total',
  description:
    'Shoppers must see what they pay: the cart gets a total with tax, and the checkout reports tax and total.',
  acceptanceCriteria: [
    'total(items, taxRate) returns the subtotal plus tax, rounded to cents',
    'checkout(items, { taxRate }) reports the subtotal, the tax and the total',
  ],
  filesInScope: ['src/cart.js', 'src/checkout.js'],
};

/**
 * The same work for a project without an integration suite: its criteria are about total() alone,
 * which the unit tests show (the checkout criterion would have no test to point at). As many
 * criteria as CART_TAX_SPEC, so the routing is the same.
 */
export const CART_TAX_UNIT_SPEC = {
  ...CART_TAX_SPEC,
  acceptanceCriteria: ['total(items, taxRate) returns the subtotal plus tax', 'total(items, taxRate) rounds to cents'],
};

export const FILES = {
  redTest: {
    path: 'test/unit/cart-total.test.js',
    content: `import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as cart from '../../src/cart.js';

test('total adds tax to the subtotal', () => {
  assert.equal(cart.total([{ price: 10, quantity: 2 }], 0.1), 22);
});

test('total rounds to cents', () => {
  assert.equal(cart.total([{ price: 0.333, quantity: 3 }], 0.2), 1.2);
});
`,
  },
  /** Tests that pass on the current code: a red that is not red. */
  alreadyPassingTest: {
    path: 'test/unit/cart-more.test.js',
    content: `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subtotal } from '../../src/cart.js';

test('subtotal of one item', () => {
  assert.equal(subtotal([{ price: 3, quantity: 1 }]), 3);
});
`,
  },
  greenCode: {
    path: 'src/cart.js',
    content: `/** The sum of price × quantity over the items of a cart. */
export function subtotal(items) {
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}

/** The subtotal plus tax at \`taxRate\` (0.2 for 20%), rounded to cents. */
export function total(items, taxRate) {
  return Math.round(subtotal(items) * (1 + taxRate) * 100) / 100;
}
`,
  },
  /** Code that forgets to round: the "rounds to cents" test fails. */
  wrongGreenCode: {
    path: 'src/cart.js',
    content: `/** The sum of price × quantity over the items of a cart. */
export function subtotal(items) {
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}

export function total(items, taxRate) {
  return subtotal(items) * (1 + taxRate);
}
`,
  },
  integrationTest: {
    path: 'test/integration/checkout-total.test.js',
    content: `import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as shop from '../../src/checkout.js';

test('checkout reports tax and total', () => {
  assert.deepEqual(shop.checkout([{ price: 10, quantity: 2 }], { taxRate: 0.1 }), { subtotal: 20, tax: 2, total: 22 });
});
`,
  },
  integrationCode: {
    path: 'src/checkout.js',
    content: `import { subtotal, total } from './cart.js';

/** A receipt for a cart: subtotal, tax and total. */
export function checkout(items, { taxRate = 0 } = {}) {
  const before = subtotal(items);
  const after = total(items, taxRate);
  return { subtotal: before, tax: Math.round((after - before) * 100) / 100, total: after };
}
`,
  },
} as const;

export const write = (file: { path: string; content: string }): ScriptedTurn => ({
  toolCalls: [{ name: 'write_file', arguments: { path: file.path, content: file.content } }],
});
export const read = (file: string): ScriptedTurn => ({ toolCalls: [{ name: 'read_file', arguments: { path: file } }] });
export const runTests = (): ScriptedTurn => ({ toolCalls: [{ name: 'run_tests', arguments: {} }] });
export interface ScriptedVerdict {
  index: number;
  met: boolean;
  note?: string;
  evidence?: Array<{ file: string; test: string }>;
}

export const finish = (summary: string, criteria?: ScriptedVerdict[]): ScriptedTurn => ({
  toolCalls: [{ name: 'finish', arguments: { summary, ...(criteria ? { criteria } : {}) } }],
});

/** The verify phase's verdicts on CART_TAX_SPEC, each with the tests that show it. */
export const CART_TAX_VERDICTS: ScriptedVerdict[] = [
  {
    index: 1,
    met: true,
    note: 'cart-total tests',
    evidence: [
      { file: FILES.redTest.path, test: 'total adds tax to the subtotal' },
      { file: FILES.redTest.path, test: 'total rounds to cents' },
    ],
  },
  {
    index: 2,
    met: true,
    note: 'checkout-total integration test',
    evidence: [{ file: FILES.integrationTest.path, test: 'checkout reports tax and total' }],
  },
];

/** The verdicts on CART_TAX_UNIT_SPEC: the unit tests show both. */
export const CART_TAX_UNIT_VERDICTS: ScriptedVerdict[] = [
  { index: 1, met: true, evidence: [{ file: FILES.redTest.path, test: 'total adds tax to the subtotal' }] },
  { index: 2, met: true, evidence: [{ file: FILES.redTest.path, test: 'total rounds to cents' }] },
];

/**
 * Every phase done right the first time: of CART_TAX_SPEC on the sample project, or with
 * `{ integration: false }` of CART_TAX_UNIT_SPEC on it without its integration suite.
 */
export function cartTaxConversations(key: string, options: { integration?: boolean } = {}): ScriptedConversation[] {
  const integration = options.integration ?? true;
  const all: ScriptedConversation[] = [
    {
      match: { key, phase: 'red' },
      turns: [
        read('src/cart.js'),
        write(FILES.redTest),
        runTests(),
        finish('Added unit tests for total() with tax and rounding; they fail because total() does not exist yet.'),
      ],
    },
    {
      match: { key, phase: 'green' },
      turns: [
        read(FILES.redTest.path),
        write(FILES.greenCode),
        runTests(),
        finish('Added total(items, taxRate), rounding to cents.'),
      ],
    },
    {
      match: { key, phase: 'refactor' },
      turns: [read('src/cart.js'), finish('The code is small and clear: nothing worth refactoring.')],
    },
    {
      match: { key, phase: 'integration_red' },
      turns: [
        read('src/checkout.js'),
        write(FILES.integrationTest),
        finish('Added an integration test: checkout reports tax and total.'),
      ],
    },
    {
      match: { key, phase: 'integration_green' },
      turns: [write(FILES.integrationCode), runTests(), finish('checkout() now reports subtotal, tax and total.')],
    },
    {
      match: { key, phase: 'verify' },
      turns: [
        runTests(),
        finish(
          'Both criteria are met and every test passes.',
          integration ? CART_TAX_VERDICTS : CART_TAX_UNIT_VERDICTS,
        ),
      ],
    },
  ];
  return integration ? all : all.filter((conversation) => !conversation.match.phase?.startsWith('integration'));
}
