import { isIPv4, isIPv6 } from 'node:net';

/** Whether a bind address or a Host name can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (isIPv6(bare)) return bare === '::1' || /^::ffff:127\./.test(bare);
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
