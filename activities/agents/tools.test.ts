import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createAgentTools } from './tools.js';

const call = { toolCallId: 'call-1', messages: [] };

describe("the agent's write tool", () => {
  test('records what it wrote as git names it, also when the worktree is reached through a symbolic link', async () => {
    const real = mkdtempSync(path.join(os.tmpdir(), 'maestro-tools-'));
    mkdirSync(path.join(real, 'src'));
    const linked = path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-tools-link-')), 'worktree');
    symlinkSync(real, linked);
    // A folder inside the worktree that is a link to another: the file lands, and is named, under src.
    symlinkSync('src', path.join(real, 'lib'));
    const written: string[] = [];
    const tools = createAgentTools({
      worktree: linked,
      role: 'developer',
      territory: ['**'],
      runTests: () => Promise.resolve(''),
      onWrite: (file) => written.push(file),
    });
    expect(await tools.write_file.execute?.({ path: 'src/cart.js', content: 'one' }, call)).toBe(
      'wrote src/cart.js (3 bytes)',
    );
    await tools.write_file.execute?.({ path: 'lib/tax.js', content: 'two' }, call);
    expect(written).toEqual(['src/cart.js', 'src/tax.js']);
    expect(readFileSync(path.join(real, 'src', 'tax.js'), 'utf8')).toBe('two');
  });
});
