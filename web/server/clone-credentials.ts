import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isWorkTree, removeRemoteCredentials } from '../../git/git.js';
import type { Logger } from 'pino';

/**
 * Clones made before Maestro kept credentials out of URLs hold the token in `.git/config`: take it
 * out of each one's origin URL when the API starts. Maestro never fetches from a clone later, so
 * nothing needs it there.
 */
export async function removeCredentialsFromClones(dataDir: string, log: Logger): Promise<string[]> {
  const repos = path.join(dataDir, 'repos');
  if (!existsSync(repos)) return [];
  const cleaned: string[] = [];
  for (const entry of readdirSync(repos, { withFileTypes: true })) {
    const repo = path.join(repos, entry.name);
    if (!entry.isDirectory() || !(await isWorkTree(repo))) continue;
    try {
      if (await removeRemoteCredentials(repo)) cleaned.push(repo);
    } catch (error) {
      log.warn({ repo, error: (error as Error).message }, 'could not check the clone’s origin URL for credentials');
    }
  }
  if (cleaned.length > 0) log.info({ repos: cleaned }, 'removed credentials from the origin URL of old clones');
  return cleaned;
}
