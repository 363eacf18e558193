import { z } from 'zod';
import { ProjectName, RepoRelativePath } from './project.js';
import { TEXT_LIMITS, boundedText, identifier } from './text.js';

export const SubtaskKey = identifier(
  'a subtask key',
  /^[0-9A-Za-z]+(-[0-9A-Za-z]+)*$/,
  'use a key like 3-1: letters and digits joined by dashes',
);
export const Risk = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof Risk>;

/** What `subtask.start` takes: the work, its acceptance criteria, and how careful to be. */
export const SubtaskSpec = z.strictObject({
  project: ProjectName,
  key: SubtaskKey,
  title: boundedText(TEXT_LIMITS.title, 'the title', { trim: true }).min(3, 'say what the subtask does in a few words'),
  description: boundedText(TEXT_LIMITS.description, 'the description').default(''),
  acceptanceCriteria: z
    .array(boundedText(TEXT_LIMITS.criterion, 'an acceptance criterion', { trim: true }).min(1))
    .min(1, 'give at least one acceptance criterion')
    .max(TEXT_LIMITS.criteria, `give at most ${TEXT_LIMITS.criteria} acceptance criteria`),
  filesInScope: z
    .array(RepoRelativePath)
    .max(TEXT_LIMITS.paths, `name at most ${TEXT_LIMITS.paths} files in scope`)
    .default([]),
  risk: Risk,
  dependencies: z.array(SubtaskKey).max(50, 'name at most 50 dependencies').default([]),
});
export type SubtaskSpecInput = z.input<typeof SubtaskSpec>;
export type SubtaskSpec = z.output<typeof SubtaskSpec>;
