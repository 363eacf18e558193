import { describe, expect, test } from 'vitest';
import {
  ApproveInput,
  BudgetChangedMessage,
  DependencyCompletedMessage,
  OverrideInput,
  RejectInput,
  describeIssues,
} from './subtask.shared.js';

/** What the workflow's update validators say of a message: the same schemas, parsed the same way. */
const problem = (schema: { safeParse: (value: unknown) => { success: boolean; error?: unknown } }, value: unknown) => {
  const parsed = schema.safeParse(value);
  return parsed.success ? undefined : describeIssues(parsed.error as Parameters<typeof describeIssues>[0]);
};

describe('the update inputs a workflow takes from any client', () => {
  test('a NUL in a comment, a reason or a hint is refused before it reaches the history', () => {
    expect(problem(ApproveInput, { actor: 'user:a', comment: 'ok\u0000' })).toBe(
      'comment: the comment contains a NUL character (\\u0000), which cannot be stored: remove it',
    );
    expect(problem(RejectInput, { actor: 'user:a', comment: 'redo \u0000 it', returnTo: 'red' })).toMatch(
      /^comment: the comment contains a NUL character/,
    );
    expect(problem(OverrideInput, { action: 'pause', actor: 'user:a', reason: 'hold \u0000 on' })).toMatch(
      /^reason: the reason contains a NUL character/,
    );
    expect(problem(OverrideInput, { action: 'retry', actor: 'user:a', hint: 'try \uD800' })).toMatch(
      /^hint: the hint contains a lone UTF-16 surrogate/,
    );
  });

  test('every free text is bounded, and the refusal names the field and the limit', () => {
    expect(problem(OverrideInput, { action: 'retry', actor: 'user:a', reason: 'x'.repeat(3_000_000) })).toBe(
      'reason: the reason has at most 2,000 characters; this one has 3,000,000',
    );
    expect(problem(OverrideInput, { action: 'resume', actor: 'user:a', reason: 'x'.repeat(2_001) })).toMatch(
      /at most 2,000 characters/,
    );
    expect(problem(ApproveInput, { actor: 'user:a', comment: 'x'.repeat(4_001) })).toBe(
      'comment: the comment has at most 4,000 characters; this one has 4,001',
    );
    expect(problem(OverrideInput, { action: 'retry', actor: 'user:a', hint: 'x'.repeat(4_000) })).toBeUndefined();
  });

  test('an unknown key is refused, not dropped', () => {
    expect(problem(ApproveInput, { actor: 'user:a', coment: 'typo' })).toBe('unknown key coment: check the spelling');
    expect(problem(OverrideInput, { action: 'pause', actor: 'user:a', reason: 'for lunch', resaon: 'x' })).toMatch(
      /resaon/,
    );
  });

  test('a signal that does not parse is named, so the workflow can drop it with the reason', () => {
    expect(problem(DependencyCompletedMessage, { key: '3-1' })).toBeUndefined();
    expect(problem(DependencyCompletedMessage, null)).toBeDefined();
    expect(problem(DependencyCompletedMessage, { key: 7 })).toBeDefined();
    expect(problem(DependencyCompletedMessage, { key: '' })).toMatch(/key: the completed subtask/);
    expect(problem(DependencyCompletedMessage, { key: 'x'.repeat(101) })).toMatch(/at most 100 characters/);
    expect(problem(DependencyCompletedMessage, { key: '3-1', extra: 1 })).toBe('unknown key extra: check the spelling');
    expect(problem(BudgetChangedMessage, { actor: 'user:alice' })).toBeUndefined();
    expect(problem(BudgetChangedMessage, { actor: 'alice' })).toMatch(/actor: who acts/);
  });
});
