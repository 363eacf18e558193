import { mkdirSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { SIGN_IN_FIRST } from '../auth/caller.js';
import { projectSandboxOf } from '../../../data/projects.js';
import { gitRepository, person, refusal, routerHarness, unique } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

describe('project.create, list and get', () => {
  test('an author registers a git repository; list and get show it, as stored', async () => {
    const name = unique('proj');
    const repository = await gitRepository(name);
    const created = await harness
      .as(person('ann', 'author'))
      .project.create({ name, repository, testCommand: 'npm test', installCommand: 'npm ci' });
    expect(created).toMatchObject({
      name,
      repoPath: realpathSync(repository),
      repoUrl: null,
      baseBranch: 'main',
      installCommand: 'npm ci',
      testCommand: 'npm test',
      integrationTestCommand: null,
      territories: {
        tester: expect.arrayContaining(['test/**']),
        developer: expect.arrayContaining(['**', '!test/**']),
      },
      // The answer says which phases its subtasks run, and why the integration phases are left out.
      phases: {
        runs: ['red', 'green', 'refactor', 'verify', 'complete'],
        leftOut: [
          { phase: 'integration_red', reason: expect.stringContaining('no integrationTestCommand') },
          { phase: 'integration_green', reason: expect.stringContaining('no integrationTestCommand') },
        ],
        summary:
          'Subtasks of this project run red, green, refactor, verify, complete; integration_red and integration_green are left out: the project has no integrationTestCommand, so there are no integration tests to write or to make pass.',
      },
    });
    const row = await harness.prisma.project.findUniqueOrThrow({ where: { name } });
    expect(row).toMatchObject({ id: created.id, testCommand: 'npm test', installCommand: 'npm ci' });

    const reader = harness.as(person('rita', 'reader'));
    const list = await reader.project.list();
    expect(list.find((project) => project.name === name)).toEqual(created);
    const names = list.map((project) => project.name);
    expect(names).toEqual([...names].sort());
    expect(await reader.project.get({ name })).toEqual(created);
    expect(await refusal(reader.project.get({ name: unique('none') }))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No project named none-/),
    });
  });

  test("a project's sandbox: no network by default, the install's when asked, a wrong value explained", async () => {
    const admin = harness.as();
    const plain = unique('sbx');
    const downloads = unique('sbx');
    const [first, second] = [
      await admin.project.create({ name: plain, repository: await gitRepository(plain), testCommand: 'npm test' }),
      await admin.project.create({
        name: downloads,
        repository: await gitRepository(downloads),
        testCommand: 'npm test',
        installCommand: 'npm ci',
        sandbox: { network: 'install' },
      }),
    ];
    expect(await projectSandboxOf(harness.prisma, first.id)).toEqual({ network: 'none' });
    expect(await projectSandboxOf(harness.prisma, second.id)).toEqual({ network: 'install' });
    const wrong = unique('sbx');
    expect(
      (
        await refusal(
          admin.project.create({
            name: wrong,
            repository: await gitRepository(wrong),
            testCommand: 'npm test',
            // @ts-expect-error: not one of the choices
            sandbox: { network: 'internet' },
          }),
        )
      ).issues,
    ).toEqual([
      {
        path: 'sandbox.network',
        message:
          'sandbox.network is one of none, install, all (got "internet"): install gives only the install command the network',
      },
    ]);
  });

  test('bad input says what to fix, and nothing is stored', async () => {
    const admin = harness.as();
    const name = unique('bad');
    const repository = await gitRepository(name);
    expect(
      (await refusal(admin.project.create({ name: 'Shop!', repository, testCommand: 'npm test' }))).issues,
    ).toEqual([
      { path: 'name', message: 'use lower-case letters, digits and dashes (at most 40), like shop or web-app' },
    ]);
    expect(
      (await refusal(admin.project.create({ name, repository, testCommand: 'npm test && rm -rf /' }))).issues,
    ).toEqual([
      {
        path: 'testCommand',
        message:
          'runs without a shell: put pipes, && or redirections in a script (for example an npm script) and name that',
      },
    ]);
    expect((await refusal(admin.project.create({ name, repository: '', testCommand: 'npm test' }))).issues).toEqual([
      { path: 'repository', message: 'give a local path to a git repository or a URL to clone' },
    ]);

    const missing = path.join(os.tmpdir(), unique('missing-repo'));
    expect(await refusal(admin.project.create({ name, repository: missing, testCommand: 'npm test' }))).toEqual({
      code: 'BAD_REQUEST',
      message: `${missing} does not exist: give the path of a git repository, or a URL to clone.`,
      issues: undefined,
    });
    const plain = path.join(os.tmpdir(), unique('plain-folder'));
    mkdirSync(plain);
    expect((await refusal(admin.project.create({ name, repository: plain, testCommand: 'npm test' }))).message).toBe(
      `${plain} is not a git repository: run \`git init\` there, or give a URL to clone.`,
    );
    expect(
      (await refusal(admin.project.create({ name, repository, baseBranch: 'develop', testCommand: 'npm test' })))
        .message,
    ).toBe(
      `The branch develop does not exist in ${realpathSync(repository)}; its branches are main: set baseBranch to one of them.`,
    );
    expect(
      (
        await refusal(
          admin.project.create({ name, repository, testCommand: 'npm test', budget: { softUsd: 30, hardUsd: 10 } }),
        )
      ).message,
    ).toBe('budget: the tiers must rise: soft 30 ≤ hard 10 ≤ emergency 100');
    expect(await harness.prisma.project.findUnique({ where: { name } })).toBeNull();

    await admin.project.create({ name, repository, testCommand: 'npm test' });
    expect(await refusal(admin.project.create({ name, repository, testCommand: 'npm test' }))).toMatchObject({
      code: 'CONFLICT',
      message: `A project named ${name} exists already: pick another name.`,
    });
  });

  test('a reader may not create a project, nor may someone nobody recognised', async () => {
    const name = unique('refused');
    const repository = await gitRepository(name);
    expect(
      await refusal(harness.as(person('rita', 'reader')).project.create({ name, repository, testCommand: 'npm test' })),
    ).toEqual({
      code: 'FORBIDDEN',
      message: 'project.create needs the author role; you are reader',
      issues: undefined,
    });
    expect(await refusal(harness.as(null).project.list())).toMatchObject({
      code: 'UNAUTHORIZED',
      message: SIGN_IN_FIRST,
    });
    expect(await refusal(harness.as(null, 'Your session has ended: sign in again.').project.list())).toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Your session has ended: sign in again.',
    });
    expect(await harness.prisma.project.findUnique({ where: { name } })).toBeNull();
  });
});

describe('project.setBudget', () => {
  test('an admin changes a tier: the project keeps the others, the audit log says who, why and what it was', async () => {
    const name = unique('budget');
    await harness.as().project.create({ name, repository: await gitRepository(name), testCommand: 'npm test' });
    const budget = await harness
      .as(person('ada', 'admin'))
      .project.setBudget({ name, softUsd: 1.5, reason: 'a tight month' });
    expect(budget).toMatchObject({
      project: name,
      limits: { softUsd: 1.5, hardUsd: 50, emergencyUsd: 100 },
      spentUsd: '0.000000000000',
      tier: 'ok',
    });

    const project = await harness.prisma.project.findUniqueOrThrow({
      where: { name },
      select: { id: true, settings: true },
    });
    expect(project.settings).toMatchObject({ budget: { softUsd: 1.5, hardUsd: 50, emergencyUsd: 100 } });
    const events = await harness.prisma.activityEvent.findMany({
      where: { projectId: project.id, kind: 'budget.changed' },
    });
    expect(events).toEqual([
      expect.objectContaining({
        actor: 'user:ada',
        message: `budget of ${name}: soft $1.5, hard $50, emergency $100 (was $20 / $50 / $100): a tight month`,
        data: {
          before: { softUsd: 20, hardUsd: 50, emergencyUsd: 100 },
          after: { softUsd: 1.5, hardUsd: 50, emergencyUsd: 100 },
          reason: 'a tight month',
        },
      }),
    ]);
    expect(await harness.as().costs.budget({ project: name })).toMatchObject({
      limits: { softUsd: 1.5, hardUsd: 50, emergencyUsd: 100 },
    });
  });

  test('tiers out of order, a missing reason or amount, an unknown project: refused with what to fix, nothing changed', async () => {
    const name = unique('budget-bad');
    await harness
      .as()
      .project.create({ name, repository: await gitRepository(name), testCommand: 'npm test', budget: { softUsd: 5 } });
    const admin = harness.as();
    expect(await refusal(admin.project.setBudget({ name, hardUsd: 2, reason: 'cheaper' }))).toEqual({
      code: 'BAD_REQUEST',
      message: 'budget: the tiers must rise: soft 5 ≤ hard 2 ≤ emergency 100',
      issues: undefined,
    });
    expect((await refusal(admin.project.setBudget({ name, reason: 'nothing given' }))).issues).toEqual([
      { path: '', message: 'give softUsd, hardUsd or emergencyUsd' },
    ]);
    expect((await refusal(admin.project.setBudget({ name, softUsd: 1, reason: 'no' }))).issues).toEqual([
      { path: 'reason', message: 'say why, in a few words: it goes to the audit log' },
    ]);
    expect((await refusal(admin.project.setBudget({ name, softUsd: -1, reason: 'negative' }))).issues).toEqual([
      { path: 'softUsd', message: 'a budget cannot be negative' },
    ]);
    expect(
      await refusal(admin.project.setBudget({ name: unique('nowhere'), softUsd: 1, reason: 'who is it' })),
    ).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No project named nowhere-/),
    });

    const project = await harness.prisma.project.findUniqueOrThrow({
      where: { name },
      select: { id: true, settings: true },
    });
    expect(project.settings).toMatchObject({ budget: { softUsd: 5 } });
    expect(await harness.prisma.activityEvent.count({ where: { projectId: project.id, kind: 'budget.changed' } })).toBe(
      0,
    );
  });

  test('only an admin changes a budget', async () => {
    const name = unique('budget-role');
    await harness.as().project.create({ name, repository: await gitRepository(name), testCommand: 'npm test' });
    for (const role of ['reader', 'author', 'reviewer'] as const) {
      expect(
        await refusal(harness.as(person('rob', role)).project.setBudget({ name, softUsd: 1, reason: 'let me' })),
      ).toMatchObject({
        code: 'FORBIDDEN',
        message: `project.setBudget needs the admin role; you are ${role}`,
      });
    }
    expect((await harness.prisma.project.findUniqueOrThrow({ where: { name } })).settings).not.toHaveProperty('budget');
  });
});

describe('project.setSandbox', () => {
  test('an admin gives the install command the network: stored, read by the next command, audited', async () => {
    const name = unique('sbx-set');
    const created = await harness
      .as()
      .project.create({ name, repository: await gitRepository(name), testCommand: 'npm test', budget: { softUsd: 5 } });
    expect(await projectSandboxOf(harness.prisma, created.id)).toEqual({ network: 'none' });
    expect(
      await harness
        .as(person('ada', 'admin'))
        .project.setSandbox({ name, network: 'install', reason: 'npm ci downloads' }),
    ).toEqual({ project: name, sandbox: { network: 'install' }, before: { network: 'none' } });
    expect(await projectSandboxOf(harness.prisma, created.id)).toEqual({ network: 'install' });
    // The other settings are kept.
    const project = await harness.prisma.project.findUniqueOrThrow({ where: { name }, select: { settings: true } });
    expect(project.settings).toMatchObject({ budget: { softUsd: 5 }, sandbox: { network: 'install' } });
    expect(
      await harness.prisma.activityEvent.findMany({ where: { projectId: created.id, kind: 'sandbox.changed' } }),
    ).toEqual([
      expect.objectContaining({
        actor: 'user:ada',
        message: `sandbox of ${name}: network install (was none): npm ci downloads`,
        data: { before: { network: 'none' }, after: { network: 'install' }, reason: 'npm ci downloads' },
      }),
    ]);
  });

  test('a project stored before the sandbox existed reads as install; bad input, other roles and unknown projects are refused', async () => {
    const name = unique('sbx-old');
    const created = await harness
      .as()
      .project.create({ name, repository: await gitRepository(name), testCommand: 'npm test' });
    // As it was stored before: no sandbox key.
    await harness.prisma.project.update({ where: { id: created.id }, data: { settings: {} } });
    expect(await projectSandboxOf(harness.prisma, created.id)).toEqual({ network: 'install' });

    const admin = harness.as();
    expect(
      (
        await refusal(
          // @ts-expect-error: not one of the choices
          admin.project.setSandbox({ name, network: 'internet', reason: 'everything' }),
        )
      ).issues,
    ).toEqual([
      {
        path: 'network',
        message:
          'sandbox.network is one of none, install, all (got "internet"): install gives only the install command the network',
      },
    ]);
    expect((await refusal(admin.project.setSandbox({ name, network: 'all', reason: 'no' }))).issues).toEqual([
      { path: 'reason', message: 'say why, in a few words: it goes to the audit log' },
    ]);
    for (const role of ['reader', 'author', 'reviewer'] as const) {
      expect(
        await refusal(harness.as(person('rob', role)).project.setSandbox({ name, network: 'all', reason: 'let me' })),
      ).toMatchObject({ code: 'FORBIDDEN', message: `project.setSandbox needs the admin role; you are ${role}` });
    }
    expect(
      await refusal(admin.project.setSandbox({ name: unique('nowhere'), network: 'none', reason: 'who is it' })),
    ).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^No project named nowhere-/) });
    expect(await projectSandboxOf(harness.prisma, created.id)).toEqual({ network: 'install' });
    expect(
      await harness.prisma.activityEvent.count({ where: { projectId: created.id, kind: 'sandbox.changed' } }),
    ).toBe(0);
  });
});
