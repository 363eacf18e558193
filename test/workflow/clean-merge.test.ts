import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pruneEndedWorkspaces } from '../../activities/subtask/workspace.js';
import { worktreeFolder } from '../../activities/subtask/deps.js';
import { DEFAULT_PHASES } from '../../domain/phases.js';
import { FILES, finish, runTests, write } from '../../stack/demo/cart-tax-script.js';
import { branchExists, ensureWorktree, git, listWorktrees } from '../../git/git.js';
import { type TestProject, type WorkflowEnv, startWorkflowEnv } from '../support/workflow-env.js';
import { activities, agentRuns, held, outcomeOf, override, recordHistory } from '../support/workflow-history.js';
import { eventually } from '../support/maestro-process.js';

/**
 * Merges that carry only the work: a project whose test run writes its JUnit report (the project's
 * `testReport.path`), a coverage folder and a cache, none of them ignored by its .gitignore. Every
 * agent runs the tests; no file the run wrote reaches a commit or the base branch. And a subtask that
 * ended (merged or cancelled) leaves no worktree: its branch stays, free to check out.
 */
let wf: WorkflowEnv;
beforeAll(async () => {
  wf = await startWorkflowEnv('clean');
});
afterAll(() => wf?.close());

const RED_GREEN_REFACTOR = DEFAULT_PHASES.filter((phase) =>
  ['red', 'green', 'refactor', 'complete'].includes(phase.name),
);

/** A test that leaves what coverage tools and caches leave: files no agent writes. */
const LEAVES_COVERAGE = `import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

test('the run leaves coverage and a cache behind, as coverage tools do', () => {
  const root = new URL('../../', import.meta.url);
  mkdirSync(new URL('coverage/lcov-report/', root), { recursive: true });
  writeFileSync(new URL('coverage/lcov.info', root), 'TN:\\nend_of_record\\n');
  writeFileSync(new URL('coverage/lcov-report/index.html', root), '<html>' + Date.now() + '</html>\\n');
  mkdirSync(new URL('.cache/', root), { recursive: true });
  writeFileSync(new URL('.cache/last-run.json', root), JSON.stringify({ at: Date.now() }));
});
`;

/** The sample project, with only node_modules ignored: the report folder, coverage and caches show as new files. */
const messyProject = () =>
  wf.project({ '.gitignore': 'node_modules/\n', 'test/unit/leaves-coverage.test.js': LEAVES_COVERAGE });

/** What a person would do with the branch once the subtask ended: check it out in the repository. */
async function expectBranchFree(project: TestProject, branch: string, worktree: string) {
  expect(existsSync(worktree)).toBe(false);
  // The project's folder under worktrees goes with its last worktree.
  expect(existsSync(path.dirname(worktree))).toBe(false);
  const listed = (await listWorktrees(project.repoPath)).map((folder) => realpathSync(folder));
  expect(listed).toEqual([realpathSync(project.repoPath)]);
  expect(await branchExists(project.repoPath, branch)).toBe(true);
  await git(project.repoPath, ['checkout', '--quiet', branch]);
  expect(await git(project.repoPath, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe(branch);
  await git(project.repoPath, ['checkout', '--quiet', 'main']);
  await git(project.repoPath, ['branch', '--quiet', '-D', branch]);
}

describe('a merge carries only what the agents wrote', () => {
  test('reports, coverage and caches the test runs wrote reach no commit and not the base branch; they are logged; the worktree goes, the branch stays', async () => {
    const key = '40-1';
    wf.script(
      { match: { key, phase: 'red' }, turns: [write(FILES.redTest), runTests(), finish('tests for total()')] },
      { match: { key, phase: 'green' }, turns: [write(FILES.greenCode), runTests(), finish('total() with tax')] },
      { match: { key, phase: 'refactor' }, turns: [runTests(), finish('nothing to tidy')] },
    );
    const project = await messyProject();
    const subtask = await wf.start(project, { key, phases: RED_GREEN_REFACTOR });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    const state = await wf.state(subtask);
    const merge = state.shas.merge!;

    // The figure: files in the merge commit that no agent wrote through its tools (target 0).
    const written = new Set(
      (await agentRuns(subtask.handle)).flatMap((run) => (run.result as { filesWritten: string[] }).filesWritten),
    );
    const merged = (await git(project.repoPath, ['diff', '--name-only', `${merge}^1`, merge])).split('\n');
    const notWritten = merged.filter((file) => !written.has(file));
    console.info(`files in the merge commit no agent wrote: ${notWritten.length} (${merged.length} merged)`);
    expect(notWritten).toEqual([]);
    expect(merged.sort()).toEqual(['src/cart.js', 'test/unit/cart-total.test.js']);
    // No commit of the branch touched them either.
    const touched = await git(project.repoPath, ['log', '--name-only', '--format=', `${merge}^1..${merge}`]);
    expect(touched.split('\n').filter((file) => /^(test-results|coverage|\.cache)\//.test(file))).toEqual([]);

    // The developer's commits say what was left out, and so does the log (the tester's are outside its territory).
    const green = await git(project.repoPath, ['show', '-s', '--format=%B', state.shas.green!]);
    expect(green).toContain(
      'Maestro-Left-Out: .cache/last-run.json, coverage/lcov-report/index.html, coverage/lcov.info, test-results/unit.xml',
    );
    const leftOut = (await wf.events(subtask)).filter((event) => event.kind === 'commit.left_out');
    expect(leftOut.map((event) => (event.data as { phase: string }).phase)).toEqual(['green', 'refactor']);
    expect(leftOut[0]!.data).toMatchObject({
      sha: state.shas.green,
      reports: ['test-results/unit.xml'],
      notWritten: ['.cache/last-run.json', 'coverage/lcov-report/index.html', 'coverage/lcov.info'],
    });
    expect(leftOut[0]!.message).toMatch(/test-results\/unit\.xml \(test report\).*written by a command/);

    // The worktree is gone; the branch is there, and checking it out works.
    expect((await activities(subtask.handle, 'removeWorkspace')).map((run) => run.result)).toEqual([{ removed: true }]);
    expect((await wf.events(subtask)).map((event) => event.kind)).toContain('workspace.removed');
    await expectBranchFree(project, state.branch!, state.worktree!);
    await recordHistory(subtask.handle, 'merged-worktree-removed');
    // An agent's run of its own: its steps replay too.
    const [firstRun] = await agentRuns(subtask.handle);
    await recordHistory(wf.client.workflow.getHandle(firstRun!.workflowId!), 'agent-run-red');
  });
});

describe('a subtask that ended leaves no worktree', () => {
  test('cancelled during an agent run: the worktree goes, the branch stays and can be checked out', async () => {
    const key = '40-2';
    wf.script(held(key, 'green', 'never'));
    const project = await wf.project();
    const subtask = await wf.start(project, { key });
    await eventually(
      () => wf.scripted.requests.some((request) => request.key === key && request.phase === 'green'),
      30_000,
      'the developer at work',
    );
    const running = await wf.state(subtask);
    expect(existsSync(running.worktree!)).toBe(true);
    await override({ action: 'cancel', reason: 'not needed after all' })(subtask.handle);
    expect(await outcomeOf(subtask.handle)).toMatchObject({ status: 'cancelled' });
    expect((await activities(subtask.handle, 'removeWorkspace')).map((run) => run.end)).toEqual(['completed']);
    await expectBranchFree(project, running.branch!, running.worktree!);
    await recordHistory(subtask.handle, 'cancelled-worktree-removed');
  });

  test("an orchestrator's start removes the worktrees of subtasks that ended, prunes the ones whose folder is gone, and leaves running ones", async () => {
    const project = await wf.project();
    const worktreeOf = async (key: string, status: 'completed' | 'cancelled' | 'in_progress') => {
      const { workflowId } = await wf.register(project, key);
      const branch = `maestro/${key}-prune`;
      const worktree = worktreeFolder(wf.config, project.name, branch);
      mkdirSync(path.dirname(worktree), { recursive: true });
      await ensureWorktree(project.repoPath, worktree, branch, 'main');
      await wf.prisma.subtask.update({ where: { workflowId }, data: { status, branch } });
      return { branch, worktree };
    };
    const completed = await worktreeOf('41-1', 'completed');
    const cancelled = await worktreeOf('41-2', 'cancelled');
    const running = await worktreeOf('41-3', 'in_progress');
    // A worktree whose folder someone deleted by hand: git still lists it until it is pruned.
    const gone = path.join(path.dirname(project.repoPath), `${project.name}-gone`);
    await git(project.repoPath, ['worktree', 'add', '--quiet', '-b', 'maestro/41-4-gone', gone, 'main']);
    rmSync(gone, { recursive: true, force: true });
    expect(await listWorktrees(project.repoPath)).toHaveLength(5);

    const report = await pruneEndedWorkspaces({ config: wf.config, prisma: wf.prisma });
    expect(report.removed).toEqual(expect.arrayContaining([completed.worktree, cancelled.worktree]));
    expect(report.removed).not.toContain(running.worktree);
    expect(report.failed).toEqual([]);
    expect(existsSync(completed.worktree) || existsSync(cancelled.worktree)).toBe(false);
    expect((await listWorktrees(project.repoPath)).map((folder) => realpathSync(folder))).toEqual([
      realpathSync(project.repoPath),
      realpathSync(running.worktree),
    ]);
    for (const { branch } of [completed, cancelled]) expect(await branchExists(project.repoPath, branch)).toBe(true);
    // Done again, there is nothing left to remove.
    expect((await pruneEndedWorkspaces({ config: wf.config, prisma: wf.prisma })).removed).toEqual([]);
  });
});
