/** Custom search attributes Maestro sets on its workflows, so lists can be filtered in Temporal. */
export const MAESTRO_SEARCH_ATTRIBUTES = {
  MaestroProject: 'Keyword',
  MaestroSubtaskKey: 'Keyword',
  MaestroStatus: 'Keyword',
  MaestroPhase: 'Keyword',
  MaestroRisk: 'Keyword',
} as const;

export type MaestroSearchAttributeName = keyof typeof MAESTRO_SEARCH_ATTRIBUTES;
