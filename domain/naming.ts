/** Names Maestro gives things in Temporal and git. Plain functions: workflow code uses them. */

export function subtaskWorkflowId(project: string, key: string): string {
  return `subtask-${project}-${key}`;
}

/** `Add the cart total` -> `add-the-cart-total`. */
export function slugify(title: string): string {
  return (
    title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'subtask'
  );
}

export function subtaskBranch(key: string, title: string): string {
  return `maestro/${key}-${slugify(title)}`;
}

/** `[red] 3-1 Add the cart total (tester)` */
export function phaseCommitMessage(phase: string, key: string, title: string, role: string): string {
  return `[${phase}] ${key} ${title} (${role})`;
}
