import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subtotal } from '../../src/cart.js';

test('subtotal adds price times quantity', () => {
  assert.equal(subtotal([{ price: 10, quantity: 2 }, { price: 1.5, quantity: 4 }]), 26);
});

test('an empty cart costs nothing', () => {
  assert.equal(subtotal([]), 0);
});
