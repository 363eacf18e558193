import { readdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../runtime/project-root.js';

/** The newest migration in prisma/migrations: the one a freshly migrated database reports. */
export function latestMigration(): string {
  return readdirSync(path.join(projectRoot(), 'prisma', 'migrations'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .at(-1)!;
}
