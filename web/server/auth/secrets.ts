import { createHash, randomBytes } from 'node:crypto';

/** API tokens start with this, so they are recognisable in a header and to secret scanners. */
export const TOKEN_PREFIX = 'mst_';
const SECRET_BYTES = 32;
/** How much of a token lists show: enough to tell tokens apart, far too little to guess the rest. */
const SHOWN_CHARACTERS = TOKEN_PREFIX.length + 6;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A session id for the cookie, and what the database stores instead of it. */
export function newSessionSecret(): { secret: string; hash: string } {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { secret, hash: sha256Hex(secret) };
}

/** A new API token: shown once; the database keeps its hash and its first characters. */
export function newApiToken(): { token: string; hash: string; prefix: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { token, hash: sha256Hex(token), prefix: token.slice(0, SHOWN_CHARACTERS) };
}

/** A password for the first admin: 24 characters, about 143 bits. */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}
