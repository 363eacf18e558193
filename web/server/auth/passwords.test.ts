import { describe, expect, test } from 'vitest';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './passwords.js';

describe('passwords', () => {
  test('are hashed with scrypt and a salt of their own, and verify only with the right password', async () => {
    const [first, second] = await Promise.all([
      hashPassword('correct horse battery'),
      hashPassword('correct horse battery'),
    ]);
    expect(first).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('correct');
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse batterY', first)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'plain text')).toBe(false);
    expect(await verifyAgainstDecoy('anything')).toBe(false);
  });
});
