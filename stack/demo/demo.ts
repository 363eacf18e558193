import { existsSync } from 'node:fs';
import path from 'node:path';
import { TRPCClientError, createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../../web/server/root.js';
import type { Logger } from '../../runtime/log.js';
import { CART_TAX_SPEC } from './cart-tax-script.js';
import { SAMPLE_PROJECT, createSampleRepository } from './sample-repo.js';

export const DEMO_PROJECT = 'demo';
export const DEMO_SUBTASK_KEY = '1-1';

/**
 * The offline demo: the sample shop library as project `demo`, and one subtask carried through
 * every phase by the scripted model. Run through the API like any other project; idempotent.
 */
export async function startDemo(
  consoleUrl: string,
  headers: Record<string, string>,
  dataDir: string,
  log: Logger,
): Promise<void> {
  const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${consoleUrl}/trpc`, headers })] });
  const repository = path.join(dataDir, 'demo', 'shop');
  if (!existsSync(repository)) await createSampleRepository(repository);
  try {
    await api.project.create.mutate({ name: DEMO_PROJECT, repository, ...SAMPLE_PROJECT });
  } catch (error) {
    if (!(error instanceof TRPCClientError) || error.data?.code !== 'CONFLICT') throw error;
  }
  const started = await api.subtask.start.mutate({
    project: DEMO_PROJECT,
    key: DEMO_SUBTASK_KEY,
    risk: 'low',
    ...CART_TAX_SPEC,
  });
  log.info(
    { project: DEMO_PROJECT, subtask: DEMO_SUBTASK_KEY, workflowId: started.workflowId, repository },
    started.started
      ? `demo: subtask ${DEMO_SUBTASK_KEY} "${CART_TAX_SPEC.title}" started on the sample project; watch it in the console`
      : `demo: subtask ${DEMO_SUBTASK_KEY} was started before; see it in the console`,
  );
}
