import type { ReactNode } from 'react';
import { ActivityPage } from './pages/ActivityPage.js';
import { ApprovalsPage } from './pages/ApprovalsPage.js';
import { CostsPage } from './pages/CostsPage.js';
import { EscalationsPage } from './pages/EscalationsPage.js';
import { QueuesPage } from './pages/QueuesPage.js';

export interface ConsoleRoute {
  path: string;
  element: ReactNode;
  /** Shown in the navigation, in this table's order. */
  nav?: { label: string; icon: string };
}

/** The console's pages: one line each. */
export const ROUTES: ConsoleRoute[] = [
  { path: '/approvals', element: <ApprovalsPage />, nav: { label: 'Approvals', icon: '✔' } },
  { path: '/escalations', element: <EscalationsPage />, nav: { label: 'Escalations', icon: '⚑' } },
  { path: '/costs', element: <CostsPage />, nav: { label: 'Costs', icon: '$' } },
  { path: '/queues', element: <QueuesPage />, nav: { label: 'Queues & workers', icon: '⇶' } },
  { path: '/activity', element: <ActivityPage />, nav: { label: 'Activity', icon: '≋' } },
];
