import { z } from 'zod';
import { boundedText } from './text.js';

/** Roles from least to most: each can do what the ones before it can. */
export const ROLES = ['reader', 'author', 'reviewer', 'admin'] as const;
export const Role = z.enum(ROLES, { error: () => `role is one of ${ROLES.join(', ')}` });
export type Role = z.infer<typeof Role>;

export function hasRole(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The name of the first admin the local default creates. */
export const FIRST_ADMIN_NAME = 'admin';

export const UserName = boundedText(64, 'a user name', { trim: true })
  .min(2, 'a name has at least 2 characters')
  .regex(
    /^[a-z0-9._-]+$/,
    'a name takes lower-case letters, digits, dot, underscore and dash only, like alice or ci-bot',
  );

export const MIN_PASSWORD_LENGTH = 12;
export const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `a password has at least ${MIN_PASSWORD_LENGTH} characters`)
  // scrypt takes any length, but a megabyte of "password" is a way to burn CPU.
  .max(1_000, 'a password has at most 1000 characters');

export const TokenName = boundedText(100, 'a token name', { trim: true }).min(
  1,
  'name the token after what uses it, like ci or backup-script',
);

/** The audit log's name for a person. */
export function userActor(name: string): string {
  return `user:${name}`;
}
