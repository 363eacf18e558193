import { cpSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { git } from '../../git/git.js';
import { projectRoot } from '../../runtime/project-root.js';

const IDENTITY = { name: 'Maestro Demo', email: 'demo@maestro.local' };

/** The sample project's settings, as `project.create` takes them (without name and path). */
export const SAMPLE_PROJECT = {
  baseBranch: 'main',
  testCommand: 'npm test',
  testReport: { format: 'junit', path: 'test-results/unit.xml' },
  integrationTestCommand: 'npm run test:integration',
  integrationTestReport: { format: 'junit', path: 'test-results/integration.xml' },
} as const;

/** A fresh git repository of the sample shop library, on `main`, with one commit. */
export async function createSampleRepository(destination: string): Promise<string> {
  if (existsSync(destination)) throw new Error(`${destination} exists already`);
  cpSync(path.join(projectRoot(), 'stack', 'demo', 'sample-repo'), destination, { recursive: true });
  renameSync(path.join(destination, 'gitignore.template'), path.join(destination, '.gitignore'));
  mkdirSync(path.join(destination, 'test-results'), { recursive: true });
  writeFileSync(path.join(destination, 'test-results', '.gitkeep'), '');
  await git(destination, ['init', '--quiet', '--initial-branch=main']);
  await git(destination, ['add', '--all']);
  await git(destination, ['commit', '--quiet', '-m', 'The shop library'], IDENTITY);
  return destination;
}
