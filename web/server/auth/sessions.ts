import type { PrismaClient } from '../../../data/prisma.js';
import { newSessionSecret } from './secrets.js';

/** A session lasts this long from the sign-in; then the person signs in again. */
export const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60_000;
/** When a session was last seen is noted at most this often: not a database write per request. */
const TOUCH_EVERY_MS = 10 * 60_000;

/** A new session for the user; returns the secret for the cookie (the database keeps only its hash). */
export async function createSession(
  prisma: PrismaClient,
  userId: string,
): Promise<{ secret: string; maxAgeSeconds: number }> {
  const { secret, hash } = newSessionSecret();
  const now = Date.now();
  await prisma.$transaction([
    prisma.session.deleteMany({ where: { expiresAt: { lt: new Date(now) } } }),
    prisma.session.create({ data: { id: hash, userId, expiresAt: new Date(now + SESSION_LIFETIME_MS) } }),
  ]);
  return { secret, maxAgeSeconds: Math.floor(SESSION_LIFETIME_MS / 1000) };
}

export async function touchSession(prisma: PrismaClient, session: { id: string; lastSeenAt: Date }): Promise<void> {
  const now = Date.now();
  if (now - session.lastSeenAt.getTime() < TOUCH_EVERY_MS) return;
  await prisma.session
    .update({ where: { id: session.id }, data: { lastSeenAt: new Date(now) } })
    .catch(() => undefined); // signed out meanwhile: the next request says so
}

/** Ends every session of a user, or every one but the caller's own. */
export async function endSessions(prisma: PrismaClient, userId: string, except?: string): Promise<number> {
  const { count } = await prisma.session.deleteMany({ where: { userId, ...(except ? { id: { not: except } } : {}) } });
  return count;
}
