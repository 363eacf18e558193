/** The API process: tRPC over HTTP and server-sent events, and the console's static files. */
import { once } from 'node:events';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { disconnectPrisma, prismaFor } from '../../data/prisma.js';
import { type LoadedConfig, loadConfig, temporalAddressOf, temporalUiUrlOf } from '../../runtime/config.js';
import { StackError } from '../../runtime/errors.js';
import { hostForUrl } from '../../runtime/ports.js';
import { createLogger } from '../../runtime/log.js';
import { databaseUrlOf } from '../../runtime/database-url.js';
import { projectRoot } from '../../runtime/project-root.js';
import { runMain } from '../../runtime/run-main.js';
import { localAdminAllowed } from './auth/loopback.js';
import { removeCredentialsFromClones } from './clone-credentials.js';
import { createApiServer } from './http.js';

runMain(async () => {
  // What the API writes (clones above all) is the user's alone, as the stack's supervisor sets too.
  process.umask(0o077);
  const config = loadConfig();
  const log = createLogger('api', config.logLevel);
  await removeCredentialsFromClones(config.dataDir, log);
  const address = temporalAddressOf(config);
  const connection = Connection.lazy({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const server = createApiServer(
    {
      config,
      prisma: prismaFor(databaseUrlOf(config)),
      temporal: { connection, client, address, namespace: config.temporal.namespace, uiUrl: temporalUiUrlOf(config) },
      log,
      startedAt: new Date(),
    },
    path.join(projectRoot(), 'dist', 'console'),
  );

  server.listen(config.api.port, config.api.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      const code = (error as NodeJS.ErrnoException).code;
      throw new StackError(
        code === 'EADDRINUSE'
          ? `Port ${config.api.port} on ${config.api.host} (API and console) is already in use: set MAESTRO_API_PORT to a free port.`
          : `The API cannot listen on ${config.api.host}:${config.api.port}: ${(error as Error).message}`,
      );
    }),
  ]);
  log.info(
    {
      url: `http://${hostForUrl(config.api.host)}:${config.api.port}`,
      signIn: localAdminAllowed(config.api) ? 'optional on this machine' : 'required',
    },
    'API and console listening',
  );

  const reason = await Promise.race([
    once(process, 'SIGTERM').then(() => 'SIGTERM'),
    once(process, 'SIGINT').then(() => 'SIGINT'),
    once(process, 'disconnect').then(() => 'the supervisor went away'),
  ]);
  log.info({ reason }, 'stopping');
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  // Server-sent event streams never go idle; give them a moment to finish, then cut them.
  setTimeout(() => server.closeAllConnections(), 1_000).unref();
  await closed;
  await Promise.all([disconnectPrisma(), connection.close()]);
  log.info('stopped');
});
