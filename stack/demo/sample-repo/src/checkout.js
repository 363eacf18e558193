import { subtotal } from './cart.js';

/** A receipt for a cart. */
export function checkout(items) {
  return { subtotal: subtotal(items) };
}
