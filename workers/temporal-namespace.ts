import { setTimeout as sleep } from 'node:timers/promises';
import type { NativeConnection } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { MAESTRO_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import type { Logger } from '../runtime/log.js';

const { temporal } = proto;

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const GRPC_NOT_FOUND = 5;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNIMPLEMENTED = 12;

const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
} as const;

/**
 * The dev server is started with Maestro's namespace and search attributes; a cluster given by
 * TEMPORAL_ADDRESS may not have them yet, so the workflows worker registers what is missing.
 */
export async function ensureMaestroNamespace(
  connection: NativeConnection,
  namespace: string,
  log: Logger,
): Promise<void> {
  if (!(await namespaceExists(connection, namespace))) {
    log.info({ namespace }, 'registering the Temporal namespace');
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('30 days'),
      description: 'Maestro subtasks, plans and councils',
    });
    for (let attempt = 0; attempt < 100 && !(await namespaceExists(connection, namespace)); attempt++) await sleep(200);
  }

  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(MAESTRO_SEARCH_ATTRIBUTES).filter(([name]) => !(name in (customAttributes ?? {})));
    if (missing.length === 0) return;
    log.info({ namespace, searchAttributes: missing.map(([name]) => name) }, 'registering search attributes');
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
    });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code !== GRPC_PERMISSION_DENIED && code !== GRPC_UNIMPLEMENTED) throw error;
    log.warn(
      { namespace, searchAttributes: MAESTRO_SEARCH_ATTRIBUTES },
      'cannot register search attributes on this cluster (no operator access); create them with your cluster tooling (Temporal Cloud: tcld namespace search-attributes add)',
    );
  }
}

async function namespaceExists(connection: NativeConnection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === GRPC_NOT_FOUND) return false;
    throw error;
  }
}
