import { expect, test } from 'vitest';
import { DEFAULT_PHASES, phaseBefore } from './phases.js';

test('the phase a person may send the work back to is the one before; none before the first', () => {
  expect(phaseBefore(DEFAULT_PHASES, 'green')).toBe('red');
  expect(phaseBefore(DEFAULT_PHASES, 'complete')).toBe('verify');
  expect(phaseBefore(DEFAULT_PHASES, 'red')).toBeUndefined();
  expect(
    phaseBefore(
      DEFAULT_PHASES.filter((phase) => !phase.name.startsWith('integration')),
      'verify',
    ),
  ).toBe('refactor');
});
