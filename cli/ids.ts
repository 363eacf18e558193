import { ProjectName } from '../domain/project.js';
import { SubtaskKey } from '../domain/subtask-spec.js';
import type { Api } from './client.js';
import { RefusedError, UsageError } from './errors.js';

export interface SubtaskRef {
  project: string;
  key: string;
}

const WORKFLOW_PREFIX = 'subtask-';
const HOW = 'give the subtask as <project>/<key>, like shop/3-1, or as its workflow id, like subtask-shop-3-1';

/**
 * `<project>/<key>`, or the workflow id `subtask-<project>-<key>`. A workflow id can split in more
 * than one way (`subtask-a-b-1`: project a key b-1, or project a-b key 1): the API says which exists.
 */
export async function resolveSubtaskRef(text: string, api: Api): Promise<SubtaskRef> {
  const slash = /^([^/]+)\/([^/]+)$/.exec(text);
  if (slash) {
    const project = ProjectName.safeParse(slash[1]);
    if (!project.success) throw new UsageError(`${text}: the project ${project.error.issues[0]!.message}`);
    const key = SubtaskKey.safeParse(slash[2]);
    if (!key.success) throw new UsageError(`${text}: the key should ${key.error.issues[0]!.message}`);
    return { project: project.data, key: key.data };
  }
  if (!text.startsWith(WORKFLOW_PREFIX)) throw new UsageError(`${text} is not a subtask: ${HOW}.`);
  const rest = text.slice(WORKFLOW_PREFIX.length);
  const candidates: SubtaskRef[] = [];
  for (let index = rest.indexOf('-'); index > 0; index = rest.indexOf('-', index + 1)) {
    const ref = { project: rest.slice(0, index), key: rest.slice(index + 1) };
    if (ProjectName.safeParse(ref.project).success && SubtaskKey.safeParse(ref.key).success) candidates.push(ref);
  }
  if (candidates.length === 0) throw new UsageError(`${text} is not a subtask workflow id: ${HOW}.`);
  if (candidates.length === 1) return candidates[0]!;
  const projects = new Set((await api.project.list.query()).map((project) => project.name));
  const known = candidates.filter((candidate) => projects.has(candidate.project));
  if (known.length === 1) return known[0]!;
  for (const candidate of known) {
    const subtasks = await api.subtask.list.query({ project: candidate.project });
    if (subtasks.some((subtask) => subtask.workflowId === text)) return candidate;
  }
  throw new RefusedError(`No subtask has the workflow id ${text}.`);
}
