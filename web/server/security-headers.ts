import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostAccepted } from './auth/loopback.js';

/**
 * The console is one origin's scripts and styles (no inline script or style element; React sets
 * styles through the DOM, which CSP allows), its icon a data: URL, and it talks only to its own API.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent on every response, the API's and the console's: no framing, no sniffing, no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Sets the security headers and refuses (421) a request whose Host this server does not answer to:
 * on a loopback bind only 127.0.0.1, [::1] and localhost names, so a page whose name was rebound to
 * 127.0.0.1 cannot talk to the API. Returns whether the request may go on.
 */
export function guardRequest(bindHost: string, req: IncomingMessage, res: ServerResponse): boolean {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (hostAccepted(bindHost, req.headers.host)) return true;
  res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(
    `This server listens on ${bindHost} and answers only to 127.0.0.1, [::1] or localhost, not to the Host ${JSON.stringify(req.headers.host ?? '')}. ` +
      'Behind a proxy, let it send a loopback Host (nginx’s default) or set MAESTRO_API_HOST to the address it reaches.',
  );
  return false;
}
