import { isPortFree } from '../runtime/ports.js';

/**
 * The Fetch standard's "bad ports" above 1023 (binding below needs root): every browser refuses to
 * connect to them, so a page whose name was rebound to 127.0.0.1 cannot reach a server on one.
 * https://fetch.spec.whatwg.org/#port-blocking
 */
export const BROWSER_BLOCKED_PORTS = [
  1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
] as const;

/**
 * Free browser-blocked ports on `host`, as many as asked, in random order so stacks starting at the
 * same moment rarely pick the same one; undefined when too few are free.
 */
export async function freeBrowserBlockedPorts(host: string, count: number): Promise<number[] | undefined> {
  const shuffled = [...BROWSER_BLOCKED_PORTS].sort(() => Math.random() - 0.5);
  const chosen: number[] = [];
  for (const port of shuffled) {
    if (chosen.length === count) break;
    if (await isPortFree(port, host)) chosen.push(port);
  }
  return chosen.length === count ? chosen : undefined;
}
