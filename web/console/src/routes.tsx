import type { ReactElement } from 'react';
import { ActivityPage } from './pages/ActivityPage.js';
import { ApprovalsPage } from './pages/ApprovalsPage.js';
import { CostsPage } from './pages/CostsPage.js';
import { EscalationsPage } from './pages/EscalationsPage.js';
import { QueuesPage } from './pages/QueuesPage.js';

export interface ConsoleRoute {
  path: string;
  /** The navigation's label. */
  label: string;
  element: ReactElement;
}

/** The console's pages, in navigation order. */
export const routes: ConsoleRoute[] = [
  { path: '/approvals', label: 'Approvals', element: <ApprovalsPage /> },
  { path: '/escalations', label: 'Escalations', element: <EscalationsPage /> },
  { path: '/costs', label: 'Costs', element: <CostsPage /> },
  { path: '/queues', label: 'Queues', element: <QueuesPage /> },
  { path: '/activity', label: 'Activity', element: <ActivityPage /> },
];
