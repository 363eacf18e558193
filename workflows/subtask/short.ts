/** A commit as people read it: its first eight characters. */
export function short(sha: string): string {
  return sha.slice(0, 8);
}
