import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkout } from '../../src/checkout.js';

test('checkout reports the subtotal', () => {
  assert.equal(checkout([{ price: 10, quantity: 2 }]).subtotal, 20);
});
