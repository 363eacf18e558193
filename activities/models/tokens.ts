import type { ModelMessage, ToolResultPart } from 'ai';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

const FRAMING_TOKENS_PER_MESSAGE = 4;
const CHARACTERS_PER_TOKEN_AT_MOST = 3;

// js-tiktoken merges byte pairs in time quadratic in the length of one piece of its split (20,000
// letters in a row take 40 s). Text never has such pieces, generated files and logs can: a piece
// longer than this is estimated at a token per 4 bytes instead of encoded.
const LONGEST_ENCODED_PIECE = 256;

let tokenizer: { encoder: Tiktoken; pieces: RegExp } | undefined;

/** Built on first use: reading the o200k_base ranks takes about a second. */
function o200k(): { encoder: Tiktoken; pieces: RegExp } {
  tokenizer ??= { encoder: new Tiktoken(o200kBase), pieces: new RegExp(o200kBase.pat_str, 'gu') };
  return tokenizer;
}

/** The number of o200k_base tokens in `text`; special tokens in it count as plain text. */
export function countTokens(text: string): number {
  if (text === '') return 0;
  const { encoder, pieces } = o200k();
  const encode = (slice: string) => (slice === '' ? 0 : encoder.encode(slice, [], []).length);
  let count = 0;
  let start = 0;
  for (const match of text.matchAll(pieces)) {
    const piece = match[0];
    if (piece.length <= LONGEST_ENCODED_PIECE) continue;
    count += encode(text.slice(start, match.index)) + Math.ceil(Buffer.byteLength(piece) / 4);
    start = match.index + piece.length;
  }
  return count + encode(text.slice(start));
}

/**
 * The tokens of a conversation: every text, tool-call input (as JSON) and tool-result output, plus
 * a few per message for the provider's framing. Images and files are not counted.
 */
export function countMessageTokens(messages: readonly ModelMessage[]): number {
  let count = 0;
  for (const message of messages) {
    count += FRAMING_TOKENS_PER_MESSAGE;
    for (const text of messageTexts(message)) count += countTokens(text);
  }
  return count;
}

/**
 * A quick upper estimate of a conversation's tokens, for fitting prompts: three characters a token
 * (English and code run nearer four, so it errs on the safe side, whatever the provider's tokenizer)
 * — without loading the tokenizer's hundred megabytes into every agent worker.
 */
export function estimateMessageTokens(messages: readonly ModelMessage[]): number {
  let count = 0;
  for (const message of messages) {
    count += FRAMING_TOKENS_PER_MESSAGE;
    for (const text of messageTexts(message)) count += Math.ceil(text.length / CHARACTERS_PER_TOKEN_AT_MOST);
  }
  return count;
}

/** The same estimate for one text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARACTERS_PER_TOKEN_AT_MOST);
}

function messageTexts(message: ModelMessage): string[] {
  if (typeof message.content === 'string') return [message.content];
  return message.content.map((part) => {
    switch (part.type) {
      case 'text':
      case 'reasoning':
        return part.text;
      case 'tool-call':
        return JSON.stringify(part.input) ?? '';
      case 'tool-result':
        return toolOutputText(part.output);
      default:
        return '';
    }
  });
}

/** What a tool result says, as the text a provider would send. */
export function toolOutputText(output: ToolResultPart['output']): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value) ?? '';
    case 'execution-denied':
      return output.reason ?? '';
    case 'content':
      return output.value.flatMap((item) => (item.type === 'text' ? [item.text] : [])).join('\n');
  }
}
