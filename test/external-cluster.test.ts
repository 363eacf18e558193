import { describe, expect, inject, test } from 'vitest';
import { MaestroProcess, descendantsOf, freePorts, newDataDir } from './support/maestro-process.js';

const shared = inject('sharedStack');

describe('a stack on an existing Temporal cluster and PostgreSQL', () => {
  test('starts no servers of its own: only the API and the workers, and they are ready', async () => {
    const dataDir = newDataDir('external');
    const { maestro, ready } = await MaestroProcess.start({
      dataDir,
      ports: await freePorts(),
      env: { TEMPORAL_ADDRESS: shared.temporalAddress, DATABASE_URL: shared.databaseUrl },
    });
    try {
      expect(ready.temporalAddress).toBe(shared.temporalAddress);
      expect(ready.temporalUiUrl).toBeUndefined();
      const commands = descendantsOf(maestro.pid).map((entry) => entry.command);
      expect(commands.some((command) => command.includes('temporal server'))).toBe(false);
      expect(commands.some((command) => /postgres -D/.test(command))).toBe(false);
      // The default split: the workflow engine and the model gateway; the agents, runner and council.
      expect(commands.filter((command) => command.includes('dist/workers/main.js')).sort()).toEqual([
        expect.stringMatching(/--queues orchestrator,tester,developer,runner,council$/),
        expect.stringMatching(/--queues workflows,models$/),
      ]);
      expect(
        maestro.records.find((record) => record.msg === 'using the Temporal cluster at TEMPORAL_ADDRESS'),
      ).toBeDefined();
      expect(maestro.records.find((record) => record.msg === 'database schema is up to date')).toBeDefined();
    } finally {
      expect((await maestro.stop('SIGINT')).code).toBe(0);
    }
  });
});
