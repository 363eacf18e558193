import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { Prisma, disconnectPrisma, prismaFor } from '../data/prisma.js';
import { prismaPaths, unmigratedSchemaChanges } from '../stack/migrations.js';

const { databaseUrl } = inject('sharedStack');
const prisma = prismaFor(databaseUrl);

afterAll(() => disconnectPrisma());

async function newProject(name: string) {
  return prisma.project.create({
    data: {
      name: `${name}-${Date.now()}`,
      repoPath: '/srv/shop',
      baseBranch: 'main',
      testCommand: 'npm test',
      territories: { tester: ['test/**'] },
    },
  });
}

describe('the read model on the real database', () => {
  test('round-trips a project with a subtask, its events, model calls, approvals and escalations', async () => {
    const project = await newProject('shop');
    const subtask = await prisma.subtask.create({
      data: {
        projectId: project.id,
        key: '3-1',
        title: 'Add the cart total',
        risk: 'medium',
        workflowId: `subtask-${project.name}-3-1`,
        spec: { acceptanceCriteria: ['total includes tax'] },
      },
    });
    await prisma.activityEvent.create({
      data: {
        projectId: project.id,
        subtaskId: subtask.id,
        actor: 'tester',
        kind: 'phase.handoff',
        message: 'red done',
        data: { sha: 'abc123' },
      },
    });
    await prisma.modelCall.create({
      data: {
        projectId: project.id,
        subtaskId: subtask.id,
        provider: 'openai',
        model: 'gpt-test',
        inputTokens: 1200,
        outputTokens: 300,
        costUsd: new Prisma.Decimal('0.00123456'),
        latencyMs: 840,
      },
    });
    await prisma.approval.create({ data: { subtaskId: subtask.id, gate: 'merge' } });
    await prisma.escalation.create({
      data: {
        subtaskId: subtask.id,
        phase: 'green',
        tier: 4,
        reason: 'three attempts failed',
        options: [
          { id: 'retry-hint', label: 'Retry with a hint' },
          { id: 'abort', label: 'Abort' },
        ],
        recommendedOption: 'retry-hint',
      },
    });

    const loaded = await prisma.subtask.findUniqueOrThrow({
      where: { projectId_key: { projectId: project.id, key: '3-1' } },
      include: { project: true, events: true, modelCalls: true, approvals: true, escalations: true },
    });
    expect(loaded.project.territories).toEqual({ tester: ['test/**'] });
    expect(loaded.status).toBe('pending');
    expect(loaded.events).toHaveLength(1);
    expect(loaded.events[0]!.data).toEqual({ sha: 'abc123' });
    expect(typeof loaded.events[0]!.id).toBe('bigint');
    expect(loaded.modelCalls[0]!.costUsd.toString()).toBe('0.00123456');
    expect(loaded.approvals[0]).toMatchObject({ gate: 'merge', status: 'pending' });
    expect(loaded.escalations[0]!.options).toHaveLength(2);
  });

  test('a subtask key is unique within its project', async () => {
    const project = await newProject('unique');
    const data = { projectId: project.id, key: '1-1', title: 't', risk: 'low' as const, spec: {} };
    await prisma.subtask.create({ data: { ...data, workflowId: `wf-${project.id}-a` } });
    await expect(prisma.subtask.create({ data: { ...data, workflowId: `wf-${project.id}-b` } })).rejects.toThrow(
      /Unique constraint/,
    );
  });

  test('has the indexes the console lists by: project, status and time', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'`,
      );
      for (const [table, columns] of [
        ['Subtask', '("projectId", status, "updatedAt" DESC)'],
        ['Subtask', '(status, "updatedAt" DESC)'],
        ['ActivityEvent', '("projectId", "occurredAt" DESC)'],
        ['ActivityEvent', '("subtaskId", "occurredAt" DESC)'],
        ['ActivityEvent', '(kind, "occurredAt" DESC)'],
        ['ModelCall', '("projectId", "occurredAt" DESC)'],
        ['ModelCall', '(model, "occurredAt" DESC)'],
        ['Approval', '(status, "requestedAt")'],
        ['Escalation', '(status, "createdAt")'],
      ]) {
        expect(
          rows.some((row) => row.indexdef.includes(`ON public."${table}" USING btree ${columns}`)),
          `${table} ${columns}`,
        ).toBe(true);
      }
    } finally {
      await client.end();
    }
  });
});

describe('the audit log is append-only, enforced by the database', () => {
  test('refuses updates and deletes through Prisma', async () => {
    const project = await newProject('audit');
    const event = await prisma.activityEvent.create({
      data: { projectId: project.id, actor: 'system', kind: 'test', message: 'original' },
    });
    await expect(
      prisma.activityEvent.update({ where: { id: event.id }, data: { message: 'rewritten' } }),
    ).rejects.toThrow(/append-only audit log: UPDATE is not allowed/);
    await expect(prisma.activityEvent.delete({ where: { id: event.id } })).rejects.toThrow(
      /append-only audit log: DELETE is not allowed/,
    );
    expect((await prisma.activityEvent.findUniqueOrThrow({ where: { id: event.id } })).message).toBe('original');
  });

  test('refuses updates, deletes and truncation in plain SQL too', async () => {
    const project = await newProject('audit-sql');
    await prisma.activityEvent.create({
      data: { projectId: project.id, actor: 'system', kind: 'test', message: 'kept' },
    });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await expect(
        client.query(`UPDATE "ActivityEvent" SET message = 'x' WHERE "projectId" = $1`, [project.id]),
      ).rejects.toThrow(/append-only/);
      await expect(client.query(`DELETE FROM "ActivityEvent" WHERE "projectId" = $1`, [project.id])).rejects.toThrow(
        /append-only/,
      );
      await expect(client.query('TRUNCATE "ActivityEvent" CASCADE')).rejects.toThrow(/append-only audit log: TRUNCATE/);
      const { rows } = await client.query(`SELECT message FROM "ActivityEvent" WHERE "projectId" = $1`, [project.id]);
      expect(rows).toEqual([{ message: 'kept' }]);
    } finally {
      await client.end();
    }
  });

  test('a project with recorded events cannot be deleted out from under its audit trail', async () => {
    const project = await newProject('audit-fk');
    await prisma.activityEvent.create({
      data: { projectId: project.id, actor: 'system', kind: 'test', message: 'pinned' },
    });
    await expect(prisma.project.delete({ where: { id: project.id } })).rejects.toThrow();
  });
});

describe('migrations', () => {
  test('prisma/migrations produce exactly schema.prisma', async () => {
    expect(await unmigratedSchemaChanges(databaseUrl)).toBe('');
  });

  test('a schema change without a migration is caught', async () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'maestro-schema-'));
    const original = prismaPaths();
    cpSync(original.migrationsDir, path.join(copy, 'migrations'), { recursive: true });
    copyFileSync(original.schemaFile, path.join(copy, 'schema.prisma'));
    const schema = readFileSync(path.join(copy, 'schema.prisma'), 'utf8').replace(
      '  repoUrl                String?',
      '  repoUrl                String?\n  archivedAt             DateTime?',
    );
    writeFileSync(path.join(copy, 'schema.prisma'), schema);
    const changes = await unmigratedSchemaChanges(databaseUrl, {
      schemaFile: path.join(copy, 'schema.prisma'),
      migrationsDir: path.join(copy, 'migrations'),
    });
    expect(changes).toContain('ALTER TABLE "Project" ADD COLUMN     "archivedAt" TIMESTAMP(3)');
  });
});
