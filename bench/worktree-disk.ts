/**
 * Disk a subtask leaves under the data folder once it ended: N subtasks of the sample project (the
 * demo's cart-tax script, every phase, merged) on a real stack, each on a project whose install
 * writes `--install-mb` megabytes into node_modules, as a real install does. Printed:
 *   worktrees   what is left under <dataDir>/worktrees after every subtask merged, and the folders
 *               `git worktree list` still shows
 *   peak        the most the worktrees folder held during the run (what was left, before worktrees
 *               were removed at the end)
 *   subtasks    the logs, baselines and proofs under <dataDir>/subtasks, which are kept
 * Usage: npm run bench:worktree-disk [-- --subtasks 10 --parallel 2 --install-mb 20]
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { CART_TAX_SPEC, cartTaxConversations } from '../stack/demo/cart-tax-script.js';
import { SAMPLE_PROJECT, createSampleRepository } from '../stack/demo/sample-repo.js';
import { git, listWorktrees } from '../git/git.js';
import { startSubtaskHarness } from '../test/support/subtask-harness.js';

const { values } = parseArgs({
  options: {
    subtasks: { type: 'string', default: '10' },
    parallel: { type: 'string', default: '2' },
    'install-mb': { type: 'string', default: '20' },
  },
});
const subtasks = Number(values.subtasks);
const parallel = Number(values.parallel);
const installMb = Number(values['install-mb']);

/** An install that writes what npm ci would: megabytes of files under node_modules (ignored by git). */
const FAKE_INSTALL = `import { mkdirSync, writeFileSync } from 'node:fs';
const megabytes = Number(process.argv[2]);
mkdirSync('node_modules/.fake', { recursive: true });
const chunk = Buffer.alloc(1024 * 1024, 7);
for (let i = 0; i < megabytes; i++) writeFileSync('node_modules/.fake/blob-' + i, chunk);
`;

/** Bytes under a folder, as du counts them (0 when it is not there). */
async function sizeOf(folder: string): Promise<number> {
  const result = await execa('du', ['-sb', folder], { reject: false });
  return result.exitCode === 0 ? Number(String(result.stdout).split('\t')[0]) : 0;
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

const harness = await startSubtaskHarness('worktree-disk');
const repos = path.join(os.tmpdir(), `maestro-worktree-disk-${process.pid}`);
mkdirSync(repos, { recursive: true });
const worktrees = path.join(harness.dataDir, 'worktrees');
let peak = 0;
const sampler = setInterval(() => void sizeOf(worktrees).then((bytes) => (peak = Math.max(peak, bytes))), 500);

async function runSubtask(index: number): Promise<string> {
  const name = `disk-${index}`;
  const repository = path.join(repos, name);
  await createSampleRepository(repository);
  mkdirSync(path.join(repository, 'scripts'), { recursive: true });
  writeFileSync(path.join(repository, 'scripts', 'fake-install.js'), FAKE_INSTALL);
  await git(repository, ['add', '--all']);
  await git(repository, ['commit', '--quiet', '-m', 'an install'], { name: 'Bench', email: 'bench@maestro.local' });
  await harness.api.project.create.mutate({
    name,
    repository,
    ...SAMPLE_PROJECT,
    installCommand: `node scripts/fake-install.js ${installMb}`,
  });
  const key = `${index + 1}-1`;
  harness.script(...cartTaxConversations(key));
  const { workflowId } = await harness.api.subtask.start.mutate({ project: name, key, risk: 'low', ...CART_TAX_SPEC });
  const outcome = (await harness.temporal.workflow.getHandle(workflowId).result()) as { status: string };
  if (outcome.status !== 'completed') throw new Error(`${workflowId} ended ${outcome.status}`);
  return repository;
}

try {
  const started = performance.now();
  const repositories: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < subtasks) repositories.push(await runSubtask(next++));
    }),
  );
  clearInterval(sampler);
  const elapsed = (performance.now() - started) / 1000;
  const left = await sizeOf(worktrees);
  // <dataDir>/worktrees/<project>/<key>-<slug>: the worktrees still on disk.
  const folders = existsSync(worktrees)
    ? readdirSync(worktrees).flatMap((project) => readdirSync(path.join(worktrees, project))).length
    : 0;
  let listed = 0;
  for (const repository of repositories) listed += (await listWorktrees(repository)).length - 1;
  console.log(
    [
      `${subtasks} subtasks merged in ${elapsed.toFixed(0)} s (${parallel} at a time), install ${installMb} MB each`,
      `worktrees   left under <dataDir>/worktrees: ${mb(left)} (${folders} worktree folders); listed by git worktree list: ${listed}`,
      `peak        the worktrees folder held at most ${mb(peak)} during the run`,
      `subtasks    logs, baselines and proofs kept under <dataDir>/subtasks: ${mb(await sizeOf(path.join(harness.dataDir, 'subtasks')))}`,
    ].join('\n'),
  );
} finally {
  clearInterval(sampler);
  await harness.close();
}
