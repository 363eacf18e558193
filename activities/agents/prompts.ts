import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PhaseName, Role } from '../../domain/phases.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import { projectRoot } from '../../runtime/project-root.js';

const PERSONAS: Record<Role, string> = { orchestrator: 'Orion', tester: 'Tara', developer: 'Devon' };

/** What a previous attempt, a reviewer or a person said, for the next attempt to act on. */
export interface PromptContext {
  failure?: { reason: string; failingTests: string[]; output: string };
  diff?: string;
  reviewerComment?: string;
  hint?: string;
  /** A strategic review of the failures so far (the ladder's second tier). */
  guidance?: string;
  /** For a council member: what happened before it was asked. */
  council?: { members: number; failedAttempts: number };
}

export interface PromptInput {
  role: Role;
  phase: PhaseName;
  attempt: number;
  goal: string;
  spec: SubtaskSpec;
  territory: readonly string[];
  context: PromptContext;
  /** The model cannot call tools: it answers with file blocks (see text-mode.md). */
  textMode?: boolean;
  /** The briefing section (briefing.ts): open questions, recent events, the files that matter. */
  briefing?: string;
}

const templates = new Map<string, string>();

function template(name: string): string {
  let text = templates.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(projectRoot(), 'activities', 'agents', 'prompts', `${name}.md`), 'utf8');
    templates.set(name, text);
  }
  return text;
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? '');
}

/** The system prompt (who you are, the tools, your role) and the task (this subtask, this phase). */
export function buildPrompts(input: PromptInput): { system: string; task: string } {
  const values = {
    persona: PERSONAS[input.role],
    role: input.role,
    project: input.spec.project,
    territory: input.territory.join(', '),
    phase: input.phase,
    key: input.spec.key,
    attempt: String(input.attempt),
    title: input.spec.title,
    description: input.spec.description || '(no description)',
    criteria: input.spec.acceptanceCriteria.map((criterion, index) => `${index + 1}. ${criterion}`).join('\n'),
    filesInScope:
      input.spec.filesInScope.length > 0
        ? input.spec.filesInScope.map((file) => `- ${file}`).join('\n')
        : '(not given: find them)',
    goal: input.goal,
    context: contextSection(input.context),
    briefing: input.briefing ? `\n${input.briefing}` : '',
  };
  return {
    system: `${fill(template(input.textMode ? 'text-mode' : 'system'), values).trim()}\n\n${template(input.role).trim()}`,
    task: fill(template('task'), values).trim(),
  };
}

function contextSection(context: PromptContext): string {
  const parts: string[] = [];
  if (context.failure) {
    parts.push(
      '## The previous attempt failed its check',
      `Reason: ${context.failure.reason}`,
      context.failure.failingTests.length > 0 ? `Failing tests: ${context.failure.failingTests.join('; ')}` : '',
      'Output (end):',
      '```',
      context.failure.output,
      '```',
    );
  }
  if (context.diff)
    parts.push('## The change so far (diff against the start of this phase)', '```diff', context.diff, '```');
  if (context.council) {
    parts.push(
      '## You sit on a council',
      `This phase failed ${context.council.failedAttempts} time(s) before. ${context.council.members} models, you among them, are each asked independently for a fix; Maestro runs the tests on every candidate and applies the best one. Work in your own copy of the repository as usual, and say in finish how confident you are (0–100%) and why.`,
    );
  }
  if (context.guidance) parts.push('## A strategic review of the failures so far', context.guidance);
  if (context.reviewerComment) parts.push('## A reviewer sent this back', context.reviewerComment);
  if (context.hint) parts.push('## A hint from a person', context.hint);
  return parts.length > 0 ? `\n${parts.filter(Boolean).join('\n')}` : '';
}
