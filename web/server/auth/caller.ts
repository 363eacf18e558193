import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PrismaClient } from '../../../data/prisma.js';
import { type Role, userActor } from '../../../domain/people.js';
import { SESSION_COOKIE, readCookie } from './cookies.js';
import { notFromThisMachine } from './loopback.js';
import { TOKEN_PREFIX, sha256Hex } from './secrets.js';
import { touchSession } from './sessions.js';

/** Who makes a request, and how they proved it. */
export interface Caller {
  /** What the audit log and every signal record: `user:<name>`, `user:local` or `system:stack`. */
  actor: string;
  name: string;
  role: Role;
  via: 'session' | 'token' | 'local' | 'stack';
  /** Set for people with an account (not for the local admin or the supervisor). */
  userId?: string;
  /** The SHA-256 of the session id, for a session. */
  sessionId?: string;
  /** The API token's row, for a token. */
  tokenId?: string;
}

export const LOCAL_ADMIN: Caller = { actor: 'user:local', name: 'local', role: 'admin', via: 'local' };
const STACK: Caller = { actor: 'system:stack', name: 'stack', role: 'admin', via: 'stack' };

export interface AuthSettings {
  /** A request without credentials acts as the local admin (a loopback bind, sign-in not required). */
  localAdmin: boolean;
  /** The SHA-256 of the supervisor's own token, if this API was started by one. */
  stackTokenHash: string | undefined;
}

export type CallerResolution = { caller: Caller; problem?: undefined } | { caller: null; problem: string };

export const SIGN_IN_FIRST =
  'Sign in first: use the console’s sign-in page, or send an API token as `Authorization: Bearer mst_…`.';
const TOKEN_TOUCH_MS = 60_000;

/**
 * A request with credentials acts as their owner, whatever the bind; one without acts as the local
 * admin only when the settings allow it and the request is provably from this machine (a loopback
 * peer, no proxy header, a loopback Host, and no Origin of another host): another machine, a web
 * page elsewhere, a DNS-rebinding name or anyone behind a reverse proxy gets no admin rights for free.
 */
export async function resolveCaller(
  prisma: PrismaClient,
  req: IncomingMessage,
  settings: AuthSettings,
): Promise<CallerResolution> {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) return resolveToken(prisma, authorization, settings);
  const sessionId = readCookie(req, SESSION_COOKIE);
  if (sessionId) return resolveSession(prisma, sessionId);
  if (!settings.localAdmin) return { caller: null, problem: SIGN_IN_FIRST };
  const why = notFromThisMachine({ remoteAddress: req.socket.remoteAddress, headers: req.headers });
  if (why) {
    return {
      caller: null,
      problem: `${SIGN_IN_FIRST} Without credentials only requests made on this machine (to 127.0.0.1 or localhost, not through a proxy) act as the local admin; this one does not: ${why}.`,
    };
  }
  return { caller: LOCAL_ADMIN };
}

async function resolveToken(
  prisma: PrismaClient,
  authorization: string,
  settings: AuthSettings,
): Promise<CallerResolution> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match || !match[1]!.startsWith(TOKEN_PREFIX)) {
    return {
      caller: null,
      problem: `The Authorization header must read \`Bearer ${TOKEN_PREFIX}…\`, with an API token from the Account page or tokens.create.`,
    };
  }
  const hash = sha256Hex(match[1]!);
  if (settings.stackTokenHash && timingSafeEqual(Buffer.from(hash), Buffer.from(settings.stackTokenHash)))
    return { caller: STACK };
  const token = await prisma.apiToken.findUnique({
    where: { tokenHash: hash },
    select: {
      id: true,
      revokedAt: true,
      lastUsedAt: true,
      user: { select: { id: true, name: true, role: true, disabledAt: true } },
    },
  });
  if (!token || token.revokedAt) {
    return {
      caller: null,
      problem:
        'This API token is not valid (revoked, or never issued): create a new one on the Account page or with tokens.create.',
    };
  }
  if (token.user.disabledAt) return { caller: null, problem: disabled(token.user.name) };
  if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > TOKEN_TOUCH_MS) {
    // When a token was last used is a hint for people, not worth a failed request.
    await prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  }
  return {
    caller: {
      actor: userActor(token.user.name),
      name: token.user.name,
      role: token.user.role,
      via: 'token',
      userId: token.user.id,
      tokenId: token.id,
    },
  };
}

async function resolveSession(prisma: PrismaClient, secret: string): Promise<CallerResolution> {
  const id = sha256Hex(secret);
  const session = await prisma.session.findUnique({
    where: { id },
    select: {
      id: true,
      expiresAt: true,
      lastSeenAt: true,
      user: { select: { id: true, name: true, role: true, disabledAt: true } },
    },
  });
  if (!session || session.expiresAt.getTime() <= Date.now())
    return { caller: null, problem: 'Your session has ended: sign in again.' };
  if (session.user.disabledAt) return { caller: null, problem: disabled(session.user.name) };
  await touchSession(prisma, session);
  return {
    caller: {
      actor: userActor(session.user.name),
      name: session.user.name,
      role: session.user.role,
      via: 'session',
      userId: session.user.id,
      sessionId: session.id,
    },
  };
}

/**
 * Why a caller's credential no longer works, looked up again now; undefined while it does. For what
 * outlives one request, like an event stream: a revoked token, an ended session or a disabled
 * account ends it.
 */
export async function credentialProblem(prisma: PrismaClient, caller: Caller): Promise<string | undefined> {
  const user = { select: { name: true, disabledAt: true } } as const;
  if (caller.via === 'token' && caller.tokenId) {
    const token = await prisma.apiToken.findUnique({
      where: { id: caller.tokenId },
      select: { revokedAt: true, user },
    });
    if (!token || token.revokedAt)
      return 'This API token was revoked: create a new one on the Account page or with tokens.create.';
    return token.user.disabledAt ? disabled(token.user.name) : undefined;
  }
  if (caller.via === 'session' && caller.sessionId) {
    const session = await prisma.session.findUnique({
      where: { id: caller.sessionId },
      select: { expiresAt: true, user },
    });
    if (!session || session.expiresAt.getTime() <= Date.now()) return 'Your session has ended: sign in again.';
    return session.user.disabledAt ? disabled(session.user.name) : undefined;
  }
  return undefined;
}

function disabled(name: string): string {
  return `The account ${name} is disabled: ask an admin to enable it.`;
}
