import net from 'node:net';
import { StackError } from './errors.js';

/** Fails with a one-line fix when something else already listens on host:port. */
export async function assertPortFree(host: string, port: number, what: string, setting: string): Promise<void> {
  const problem = await listenProblem(host, port);
  if (!problem) return;
  if (problem.code === 'EADDRINUSE') {
    throw new StackError(
      `Port ${port} on ${host} (${what}) is already in use by another program: stop that program or set ${setting} to a free port.`,
    );
  }
  if (problem.code === 'EACCES') {
    throw new StackError(`Port ${port} on ${host} (${what}) needs privileges: set ${setting} to a port above 1024.`);
  }
  if (problem.code === 'EADDRNOTAVAIL') {
    throw new StackError(`Address ${host} (${what}) is not an address of this machine: fix the host setting.`);
  }
  throw new StackError(`Cannot listen on ${host}:${port} (${what}): ${problem.message}`);
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await listenProblem(host, port)) === undefined;
}

function listenProblem(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * The host to put in a URL for a server bound to `host`: a wildcard bind is reached on the loopback
 * address, and an IPv6 address goes in brackets.
 */
export function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
