import type { ModelMessage, ToolModelMessage, ToolResultPart, UserModelMessage } from 'ai';
import { countMessageTokens, toolOutputText } from '../models/tokens.js';

/**
 * One pruned piece of the prompt, with the last rule applied to it (an output cut and then dropped
 * is one `drop_old_output` item). `keptChars` counts the original characters still in the prompt.
 * The task's diff is reported as step 0, tool `task`.
 */
export interface PrunedItem {
  step: number;
  tool: string;
  rule: 'cut_old_output' | 'drop_old_output' | 'cut_task_diff' | 'cut_newest_output';
  originalChars: number;
  keptChars: number;
}

export interface PruneResult {
  messages: ModelMessage[];
  pruned: PrunedItem[];
  tokens: number;
  fits: boolean;
}

export interface PruneOptions {
  /** The newest steps whose outputs are pruned last; 2 unless given. */
  keepNewestSteps?: number;
  countTokens?: (messages: ModelMessage[]) => number;
}

const DEFAULT_KEEP_NEWEST_STEPS = 2;
const LONG_OUTPUT_CHARS = 2_000;
const KEPT_HEAD_CHARS = 600;
const KEPT_TAIL_CHARS = 600;
const KEPT_DIFF_LINES = 40;
const DIFF_HEADING = '## The change so far';
const NEWEST_FAILURE_TOOL = 'run_tests';

export const PRUNING_RULES = `When an agent's conversation no longer fits its prompt budget, Maestro prunes it by these rules, in this order, each only until it fits:
1. Tool outputs longer than ${LONG_OUTPUT_CHARS.toLocaleString('en-US')} characters in the steps older than the newest ${DEFAULT_KEEP_NEWEST_STEPS} are cut to their first ${KEPT_HEAD_CHARS} and last ${KEPT_TAIL_CHARS} characters, oldest step first.
2. If that is not enough, those old outputs are removed whole, oldest first. The tool call stays, and its result says what was removed.
3. Then the diff in the task ("The change so far") is cut to its first ${KEPT_DIFF_LINES} lines.
4. Then the long outputs of the newest steps are cut like rule 1.
Never pruned: the system prompt, the rest of the task (the failure of the previous attempt included), the newest ${NEWEST_FAILURE_TOOL} output, and the tool calls. Every cut leaves a note in its place saying what was cut, from which step: call the tool again if you need it.`;

/** A tool result in the conversation, with its step (1-based) and its text before pruning. */
interface ToolOutput {
  messageIndex: number;
  partIndex: number;
  step: number;
  tool: string;
  text: string;
}

/**
 * Prunes an agent conversation (system, task, then assistant/tool steps) to fit `budgetTokens`, by
 * the rules of PRUNING_RULES. Returns new messages; the input is not changed. When even everything
 * prunable is pruned the prompt is too big, `fits` is false and the caller decides.
 */
export function prunePrompt(messages: ModelMessage[], budgetTokens: number, options: PruneOptions = {}): PruneResult {
  const count = options.countTokens ?? memoisedMessageCounter();
  const keepNewest = Math.max(0, Math.floor(options.keepNewestSteps ?? DEFAULT_KEEP_NEWEST_STEPS));
  const working = [...messages];
  const pruned = new Map<ToolOutput | 'task', PrunedItem>();
  let tokens = count(working);
  const fits = () => tokens <= budgetTokens;

  const { outputs, steps } = toolOutputsOf(messages);
  const newestFailure = outputs.findLast((output) => output.tool === NEWEST_FAILURE_TOOL);
  const long = outputs.filter((output) => output !== newestFailure && output.text.length > LONG_OUTPUT_CHARS);
  const old = long.filter((output) => output.step <= steps - keepNewest);
  const newest = long.filter((output) => output.step > steps - keepNewest);

  const replaceOutput = (output: ToolOutput, text: string, item: PrunedItem) => {
    working[output.messageIndex] = withOutputText(
      working[output.messageIndex] as ToolModelMessage,
      output.partIndex,
      text,
    );
    pruned.set(output, item);
    tokens = count(working);
  };
  const cut = (output: ToolOutput, rule: 'cut_old_output' | 'cut_newest_output') =>
    replaceOutput(output, cutOutput(output), {
      step: output.step,
      tool: output.tool,
      rule,
      originalChars: output.text.length,
      keptChars: KEPT_HEAD_CHARS + KEPT_TAIL_CHARS,
    });

  for (const output of old) {
    if (fits()) break;
    cut(output, 'cut_old_output');
  }
  for (const output of old) {
    if (fits()) break;
    replaceOutput(output, dropNote(output), {
      step: output.step,
      tool: output.tool,
      rule: 'drop_old_output',
      originalChars: output.text.length,
      keptChars: 0,
    });
  }
  const taskIndex = messages.findIndex((message) => message.role === 'user');
  if (!fits() && taskIndex !== -1) {
    const cutTask = withTaskDiffCut(messages[taskIndex] as UserModelMessage);
    if (cutTask) {
      working[taskIndex] = cutTask.message;
      pruned.set('task', {
        step: 0,
        tool: 'task',
        rule: 'cut_task_diff',
        originalChars: cutTask.originalChars,
        keptChars: cutTask.keptChars,
      });
      tokens = count(working);
    }
  }
  for (const output of newest) {
    if (fits()) break;
    cut(output, 'cut_newest_output');
  }
  return { messages: working, pruned: [...pruned.values()], tokens, fits: fits() };
}

/** A step is an assistant message and the tool message after it, numbered from 1 after the task. */
function toolOutputsOf(messages: readonly ModelMessage[]): { outputs: ToolOutput[]; steps: number } {
  const taskIndex = messages.findIndex((message) => message.role === 'user');
  const outputs: ToolOutput[] = [];
  let step = 0;
  messages.forEach((message, messageIndex) => {
    if (messageIndex <= taskIndex) return;
    if (message.role === 'assistant') step++;
    if (message.role !== 'tool' || step === 0) return;
    message.content.forEach((part, partIndex) => {
      if (part.type === 'tool-result')
        outputs.push({ messageIndex, partIndex, step, tool: part.toolName, text: toolOutputText(part.output) });
    });
  });
  return { outputs, steps: step };
}

function cutOutput(output: ToolOutput): string {
  const removed = output.text.length - KEPT_HEAD_CHARS - KEPT_TAIL_CHARS;
  const note = `[… pruned by Maestro: ${formatCount(removed)} characters of ${output.tool} output from step ${output.step} cut to fit the prompt budget; call the tool again if you need it …]`;
  return `${output.text.slice(0, KEPT_HEAD_CHARS)}\n${note}\n${output.text.slice(-KEPT_TAIL_CHARS)}`;
}

function dropNote(output: ToolOutput): string {
  return `[pruned by Maestro: the ${output.tool} output of step ${output.step} (${formatCount(output.text.length)} characters) was removed to fit the prompt budget]`;
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** A copy of the tool message with one result's output replaced by text; the call id stays. */
function withOutputText(message: ToolModelMessage, partIndex: number, text: string): ToolModelMessage {
  return {
    ...message,
    content: message.content.map((part, index) =>
      index === partIndex && part.type === 'tool-result' ? { ...part, output: textOutput(part.output, text) } : part,
    ),
  };
}

function textOutput(original: ToolResultPart['output'], text: string): ToolResultPart['output'] {
  return original.type === 'error-text' || original.type === 'error-json'
    ? { type: 'error-text', value: text }
    : { type: 'text', value: text };
}

interface CutTask {
  message: UserModelMessage;
  originalChars: number;
  keptChars: number;
}

/** The task with the body of its diff section cut to its first lines, or undefined if it is short. */
function withTaskDiffCut(task: UserModelMessage): CutTask | undefined {
  if (typeof task.content === 'string') {
    const cut = cutDiffSection(task.content);
    return (
      cut && { message: { ...task, content: cut.text }, originalChars: cut.originalChars, keptChars: cut.keptChars }
    );
  }
  for (const [index, part] of task.content.entries()) {
    if (part.type !== 'text') continue;
    const cut = cutDiffSection(part.text);
    if (!cut) continue;
    const content = task.content.map((other, at) => (at === index ? { ...part, text: cut.text } : other));
    return { message: { ...task, content }, originalChars: cut.originalChars, keptChars: cut.keptChars };
  }
  return undefined;
}

function cutDiffSection(text: string): { text: string; originalChars: number; keptChars: number } | undefined {
  const lines = text.split('\n');
  const heading = lines.findIndex((line) => line.startsWith(DIFF_HEADING));
  if (heading === -1 || lines[heading + 1]?.trim() !== '```diff') return undefined;
  const bodyStart = heading + 2;
  // No diff line is a bare ``` (diff lines start with +, -, space, @ or a header word).
  const closing = lines.findIndex((line, index) => index >= bodyStart && line.trim() === '```');
  const bodyEnd = closing === -1 ? lines.length : closing;
  const body = lines.slice(bodyStart, bodyEnd);
  if (body.length <= KEPT_DIFF_LINES) return undefined;
  const kept = body.slice(0, KEPT_DIFF_LINES);
  const removed = body.slice(KEPT_DIFF_LINES);
  const note = `[… pruned by Maestro: the last ${formatCount(removed.length)} lines of the diff (${formatCount(removed.join('\n').length)} characters) cut to fit the prompt budget; read the files for their current content …]`;
  return {
    text: [...lines.slice(0, bodyStart), ...kept, note, ...lines.slice(bodyEnd)].join('\n'),
    originalChars: body.join('\n').length,
    keptChars: kept.join('\n').length,
  };
}

/** countMessageTokens, counting each message once: pruning recounts after every change. */
function memoisedMessageCounter(): (messages: ModelMessage[]) => number {
  const perMessage = new WeakMap<ModelMessage, number>();
  return (messages) => {
    let total = 0;
    for (const message of messages) {
      let tokens = perMessage.get(message);
      if (tokens === undefined) {
        tokens = countMessageTokens([message]);
        perMessage.set(message, tokens);
      }
      total += tokens;
    }
    return total;
  };
}
