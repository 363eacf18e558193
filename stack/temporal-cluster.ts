import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';

const WAIT_MS = 180_000;

/**
 * A cluster given by TEMPORAL_ADDRESS may still be starting (docker compose starts everything at
 * once); workers are started only once its frontend answers.
 */
export async function waitForTemporalCluster(address: string, signal: AbortSignal, log: Logger): Promise<void> {
  // Loaded only here: the embedded default's supervisor never needs a gRPC client.
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + WAIT_MS;
  let announced = false;
  for (;;) {
    if (signal.aborted) throw new StackError('Stopped while starting.');
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2 seconds' });
      try {
        await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw new StackError(
          `The Temporal cluster at ${address} did not answer within ${WAIT_MS / 1000} s (${(error as Error).message.split('\n')[0]}): check TEMPORAL_ADDRESS.`,
        );
      }
      if (!announced) log.info({ address }, 'waiting for the Temporal cluster to answer');
      announced = true;
      await sleep(1_000);
    }
  }
}
