import { parse } from 'shell-quote';

/**
 * Splits a command line into a program and its arguments the way a shell would quote them
 * (`npm test -- --grep "cart total"`), without a shell: operators, substitutions and globs are not
 * interpreted, and `$VARS` stay as they are written.
 */
export function splitCommandLine(commandLine: string): string[] {
  const parts = parse(commandLine, (name) => `$${name}`);
  const words = parts.map((part) => {
    if (typeof part === 'string') return part;
    if ('op' in part && part.op === 'glob') return part.pattern;
    throw new Error(
      `\`${commandLine}\` uses shell syntax (${'op' in part ? part.op : 'a comment'}); commands run without a shell: put it in a script and name that`,
    );
  });
  if (words.length === 0) throw new Error('the command is empty');
  return words;
}
