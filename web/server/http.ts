import { existsSync } from 'node:fs';
import http from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import sirv from 'sirv';
import { MAX_BODY_BYTES, cutAfterTooLarge, refuseDeclaredOversize } from './body-limit.js';
import { appRouter } from './root.js';
import { guardRequest } from './security-headers.js';
import { contextFactory, type ServerDeps } from './trpc.js';

/**
 * One HTTP server: tRPC (queries, mutations, server-sent events) under /trpc, the console elsewhere;
 * every response carries the security headers, and a loopback bind answers only to loopback names.
 */
export function createApiServer(deps: ServerDeps, consoleDir: string): http.Server {
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: contextFactory(deps),
    basePath: '/trpc/',
    // A body without a declared length is counted as it streams, and refused (413) past the limit.
    maxBodySize: MAX_BODY_BYTES,
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') deps.log.error({ err: error, path }, 'procedure failed');
    },
  });
  const assets = existsSync(consoleDir) ? sirv(consoleDir, { single: true, etag: true }) : undefined;
  return http.createServer((req, res) => {
    if (!guardRequest(deps.config.api.host, req, res)) return;
    if (req.url?.startsWith('/trpc/')) {
      cutAfterTooLarge(req, res);
      if (refuseDeclaredOversize(req, res)) return;
      trpc(req, res);
      return;
    }
    if (!assets) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The console is not built yet: run `npm run build`.');
      return;
    }
    assets(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found');
    });
  });
}
