// Builds what `npm start` and `npm test` run, skipping every step whose inputs did not change:
// the Prisma client, the TypeScript (incremental), the workflow bundle and the console.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (command, args, env = {}) =>
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

async function step(name, work) {
  const started = performance.now();
  try {
    const result = await work();
    if (result !== 'fresh') console.log(`build: ${name} (${Math.round(performance.now() - started)} ms)`);
  } catch (error) {
    console.error(`build: ${name} failed${error.status ? '' : `: ${error.message}`}`);
    process.exit(1);
  }
}

function newestMtime(dirs) {
  let newest = 0;
  const visit = (entry) => {
    if (!existsSync(entry)) return;
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const child of readdirSync(entry))
        if (child !== 'node_modules' && child !== 'dist') visit(path.join(entry, child));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  dirs.forEach((dir) => visit(path.join(root, dir)));
  return newest;
}

const mtimeOf = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);

await step('prisma client', () => {
  const schema = readFileSync(path.join(root, 'prisma/schema.prisma'));
  const prismaVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/prisma/package.json'), 'utf8')).version;
  const stamp = createHash('sha256').update(schema).update(prismaVersion).digest('hex');
  const stampFile = path.join(root, 'generated/prisma/.schema-stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return 'fresh';
  run(bin('prisma'), ['generate'], {
    PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'scripts/prisma-schema-engine-unavailable.sh'),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  });
  writeFileSync(stampFile, stamp);
});

await step('typescript', () => {
  run(bin('tsc'), ['-p', 'tsconfig.json']);
  // The `maestro` command (package.json "bin") runs the file itself.
  chmodSync(path.join(root, 'dist/cli/main.js'), 0o755);
});

await step('workflow bundle', async () => {
  const bundleFile = path.join(root, 'dist/workflow-bundle.js');
  if (mtimeOf(bundleFile) > newestMtime(['dist/workflows', 'dist/domain'])) return 'fresh';
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(root, 'dist/workflows/index.js'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  writeFileSync(bundleFile, code);
});

await step('console', () => {
  const indexFile = path.join(root, 'dist/console/index.html');
  if (mtimeOf(indexFile) > newestMtime(['web/console', 'web/server', 'domain', 'workflows'])) return 'fresh';
  run(bin('tsc'), ['-p', 'web/console/tsconfig.json', '--noEmit']);
  run(bin('vite'), ['build', '--config', 'web/console/vite.config.ts', '--logLevel', 'warn']);
});

mkdirSync(path.join(root, 'dist'), { recursive: true });
