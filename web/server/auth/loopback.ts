import type { IncomingHttpHeaders } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/** Whether a bind address or a Host name can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  return isLoopbackAddress(bare);
}

/** Whether a socket's peer address is this machine: 127.0.0.0/8, ::1 or an IPv4-mapped 127.x. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const bare = address.toLowerCase();
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (isIPv6(bare)) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
  return false;
}

/** The host of a `Host` header or an origin, without its port. */
export function hostOf(value: string): string | undefined {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname;
  } catch {
    return undefined;
  }
}

/** Requests without credentials act as the local admin only on a loopback bind, unless sign-in is required. */
export function localAdminAllowed(api: { host: string; auth: 'auto' | 'required' }): boolean {
  return api.auth === 'auto' && isLoopbackHost(api.host);
}

/** Headers a proxy adds: a request carrying any of them came through one, whatever its socket says. */
export const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

/** What the local-admin decision reads of a request: its socket's peer and its headers. */
export interface RequestOrigin {
  remoteAddress: string | undefined;
  headers: IncomingHttpHeaders;
}

/**
 * Why a request without credentials is not provably from this machine, or undefined when it is: the
 * socket's peer is loopback, no proxy header says it was relayed, the Host is a loopback name, and
 * no Origin (nor `Sec-Fetch-Site`) names another site. `Origin: null` (a sandboxed frame, a file,
 * a redirect across sites) is foreign.
 */
export function notFromThisMachine({ remoteAddress, headers }: RequestOrigin): string | undefined {
  if (!isLoopbackAddress(remoteAddress)) return 'it comes from another machine';
  const proxyHeader = PROXY_HEADERS.find((name) => headers[name] !== undefined);
  if (proxyHeader) return `it came through a proxy (${proxyHeader})`;
  const host = headers.host ? hostOf(headers.host) : undefined;
  if (!host || !isLoopbackHost(host)) return 'its Host is not 127.0.0.1 or localhost';
  const origin = headers.origin;
  if (origin !== undefined) {
    const originHost = origin === 'null' ? undefined : hostOf(origin);
    if (!originHost || !isLoopbackHost(originHost)) return 'a page of another site sent it';
  }
  if (headers['sec-fetch-site'] === 'cross-site') return 'a page of another site sent it';
  return undefined;
}

/** Whether a request is provably from this machine (see notFromThisMachine). */
export function fromThisMachine(request: RequestOrigin): boolean {
  return notFromThisMachine(request) === undefined;
}

/**
 * On a loopback bind, only loopback names may reach the server: a page whose name was rebound to
 * 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused. Other binds take any Host.
 */
export function hostAccepted(bindHost: string, hostHeader: string | undefined): boolean {
  if (!isLoopbackHost(bindHost)) return true;
  const host = hostHeader ? hostOf(hostHeader) : undefined;
  return host !== undefined && isLoopbackHost(host);
}
