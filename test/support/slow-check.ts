import { readlinkSync } from 'node:fs';
import type { ScriptedConversation } from '../../stack/scripted-model/script.js';
import { finish } from '../../stack/demo/cart-tax-script.js';
import { descendantsOf } from './maestro-process.js';

/**
 * A check that is surely running when the test acts: the project has a test that waits while
 * src/slow.flag exists (it does not on the base branch, so the baseline is quick), and the
 * developer's agent writes that file.
 */
export const SLOW_TEST_FILES = {
  'test/unit/slow.test.js': `import { existsSync } from 'node:fs';
import { test } from 'node:test';

test('waits while src/slow.flag exists', async () => {
  for (let tick = 0; tick < 600 && existsSync(new URL('../../src/slow.flag', import.meta.url)); tick++) {
    console.log('still waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
`,
};

export function slowAgent(key: string): ScriptedConversation {
  return {
    match: { key, phase: 'green' },
    turns: [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'src/slow.flag', content: 'slow\n' } }] },
      finish('flagged the check as slow'),
    ],
  };
}

/** The processes this test process started (a check's commands, say) that run in `folder`. */
export function processesIn(folder: string): number[] {
  return descendantsOf(process.pid)
    .filter((entry) => {
      try {
        const cwd = readlinkSync(`/proc/${entry.pid}/cwd`);
        return cwd === folder || cwd.startsWith(`${folder}/`);
      } catch {
        return false;
      }
    })
    .map((entry) => entry.pid);
}
