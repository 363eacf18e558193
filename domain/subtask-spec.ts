import { z } from 'zod';
import { ProjectName, RepoRelativePath } from './project.js';

export const SubtaskKey = z
  .string()
  .regex(/^[0-9A-Za-z]+(-[0-9A-Za-z]+)*$/, 'use a key like 3-1: letters and digits joined by dashes');
export const Risk = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof Risk>;

/** What `subtask.start` takes: the work, its acceptance criteria, and how careful to be. */
export const SubtaskSpec = z.strictObject({
  project: ProjectName,
  key: SubtaskKey,
  title: z.string().trim().min(3, 'say what the subtask does in a few words').max(200),
  description: z.string().max(20_000).default(''),
  acceptanceCriteria: z.array(z.string().trim().min(1)).min(1, 'give at least one acceptance criterion').max(30),
  filesInScope: z.array(RepoRelativePath).max(200).default([]),
  risk: Risk,
  dependencies: z.array(SubtaskKey).max(50).default([]),
});
export type SubtaskSpecInput = z.input<typeof SubtaskSpec>;
export type SubtaskSpec = z.output<typeof SubtaskSpec>;
