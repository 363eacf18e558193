import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { prismaFor } from '../../data/prisma.js';
import { CART_TAX_SPEC } from '../../stack/demo/cart-tax-script.js';
import { DEMO_SUBTASK_KEY } from '../../stack/demo/demo.js';
import { SAMPLE_PROJECT, createSampleRepository } from '../../stack/demo/sample-repo.js';
import type { AppRouter } from '../../web/server/root.js';
import type { SharedStack } from '../global-setup.js';
import { eventually } from './maestro-process.js';

export type OpsApi = ReturnType<typeof opsApi>;

/** A client of the shared stack's API, server-sent events included. */
export function opsApi(baseUrl: string) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: `${baseUrl}/trpc`, EventSource }),
        false: httpLink({ url: `${baseUrl}/trpc` }),
      }),
    ],
  });
}

/** A project name no other test uses: `<label>-<random>`. */
export function uniqueName(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

const repos = mkdtempSync(path.join(os.tmpdir(), 'maestro-ops-repos-'));
chmodSync(repos, 0o755);

/** A fresh git repository of the sample shop library. */
export async function sampleRepository(name: string): Promise<string> {
  const repository = path.join(repos, name);
  await createSampleRepository(repository);
  return repository;
}

/** A project on a fresh copy of the sample shop repository; `installCommand: 'false'` makes its setup fail. */
export async function sampleProject(
  api: OpsApi,
  name: string,
  options: { installCommand?: string } = {},
): Promise<void> {
  await api.project.create.mutate({ name, repository: await sampleRepository(name), ...SAMPLE_PROJECT, ...options });
}

/**
 * A high-risk subtask, waiting for the approval of its plan before any agent acts. Its key is the
 * demo's, so the shared stack's scripted model carries it on once approved.
 */
export async function subtaskWaitingForApproval(api: OpsApi, project: string) {
  await sampleProject(api, project);
  await api.subtask.start.mutate({ project, key: DEMO_SUBTASK_KEY, risk: 'high', ...CART_TAX_SPEC });
  return eventually(
    async () => (await api.inbox.approvals.query({ project })).find((approval) => approval.gate === 'plan'),
    60_000,
    `the plan approval of ${project}/${DEMO_SUBTASK_KEY}`,
  );
}

/** A subtask whose workspace setup fails (its install command is `false`): an escalation offering retry and cancel. */
export async function subtaskEscalated(api: OpsApi, project: string) {
  await sampleProject(api, project, { installCommand: 'false' });
  await api.subtask.start.mutate({ project, key: DEMO_SUBTASK_KEY, risk: 'low', ...CART_TAX_SPEC });
  // The escalation is written a moment before the subtask's row says blocked.
  return eventually(
    async () =>
      (await api.inbox.escalations.query({ project })).find((escalation) => escalation.subtask.status === 'blocked'),
    90_000,
    `the escalation of ${project}/${DEMO_SUBTASK_KEY}`,
  );
}

/** Appends an event to the audit log, as an activity would. */
export async function appendEvent(
  shared: SharedStack,
  event: { project?: string; actor?: string; kind: string; message: string },
) {
  const prisma = prismaFor(shared.databaseUrl);
  const project = event.project
    ? await prisma.project.findUniqueOrThrow({ where: { name: event.project }, select: { id: true } })
    : undefined;
  const row = await prisma.activityEvent.create({
    data: { projectId: project?.id, actor: event.actor ?? 'user:ops-test', kind: event.kind, message: event.message },
    select: { id: true },
  });
  return row.id.toString();
}
