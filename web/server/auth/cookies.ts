import type { IncomingMessage, ServerResponse } from 'node:http';

export const SESSION_COOKIE = 'maestro_session';

/** The value of one cookie of the request, if it was sent. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() !== name) continue;
    const value = part.slice(separator + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** HttpOnly: scripts in the page never see it; SameSite=Lax: other sites cannot post with it. */
export function setSessionCookie(
  req: IncomingMessage,
  res: ServerResponse,
  secret: string,
  maxAgeSeconds: number,
): void {
  appendSetCookie(
    res,
    `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure(req)}`,
  );
}

export function clearSessionCookie(req: IncomingMessage, res: ServerResponse): void {
  appendSetCookie(res, `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure(req)}`);
}

/** Behind a TLS-terminating proxy the browser talks https: the cookie must then never travel in clear. */
function secure(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  return encrypted || req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
}

function appendSetCookie(res: ServerResponse, cookie: string) {
  const existing = res.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('set-cookie', [...list, cookie]);
}
