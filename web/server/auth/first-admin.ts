import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '../../../data/prisma.js';
import { FIRST_ADMIN_NAME } from '../../../domain/people.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { newPassword } from './secrets.js';

export interface FirstAdmin {
  name: string;
  /** Where its first password is, readable by this machine's user only. */
  passwordFile: string;
  /** Created on this start (else it was created before and still has its first password). */
  created: boolean;
}

export function firstAdminPasswordFile(dataDir: string): string {
  return path.join(dataDir, 'admin-password');
}

/**
 * With no user at all, creates the admin `admin` with a random password, written to
 * `<dataDir>/admin-password` (mode 0600), never to a log. Returns it while that first password still
 * works, so the start-up can say how to sign in; undefined once it was changed (or never applied).
 */
export async function ensureFirstAdmin(prisma: PrismaClient, dataDir: string): Promise<FirstAdmin | undefined> {
  const passwordFile = firstAdminPasswordFile(dataDir);
  if ((await prisma.user.count()) === 0) {
    const password = newPassword();
    // The file first: an admin whose password nobody knows would lock everyone out.
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const created = await prisma.$transaction(async (tx) => {
      // Two starts at once against one database: only the first creates the admin.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('maestro.first-admin'))`;
      if ((await tx.user.count()) > 0) return false;
      await tx.user.create({
        data: { name: FIRST_ADMIN_NAME, role: 'admin', passwordHash: await hashPassword(password) },
      });
      return true;
    });
    if (created) return { name: FIRST_ADMIN_NAME, passwordFile, created: true };
    rmSync(passwordFile, { force: true }); // another start (another data folder) created the admin: this password is nobody's
    return undefined;
  }
  if (!existsSync(passwordFile)) return undefined;
  const admin = await prisma.user.findUnique({
    where: { name: FIRST_ADMIN_NAME },
    select: { passwordHash: true, disabledAt: true },
  });
  if (!admin || admin.disabledAt) return undefined;
  const stillFirst = await verifyPassword(readFileSync(passwordFile, 'utf8').trim(), admin.passwordHash);
  return stillFirst ? { name: FIRST_ADMIN_NAME, passwordFile, created: false } : undefined;
}
