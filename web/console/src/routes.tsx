import { type ReactNode, lazy } from 'react';
import { AccountPage } from './pages/AccountPage.js';
import { ActivityPage } from './pages/ActivityPage.js';
import { ApprovalsPage } from './pages/ApprovalsPage.js';
import { BoardPage } from './pages/BoardPage.js';
import { CostsPage } from './pages/CostsPage.js';
import { EscalationsPage } from './pages/EscalationsPage.js';
import { QueuesPage } from './pages/QueuesPage.js';
import { SystemPage } from './pages/SystemPage.js';

// The subtask page carries the diff viewer and its highlighter: loaded when first opened, not on the board.
const SubtaskPage = lazy(() => import('./pages/SubtaskPage.js').then((module) => ({ default: module.SubtaskPage })));

export interface ConsoleRoute {
  path: string;
  element: ReactNode;
  /** Shown in the left navigation, in this table's order. */
  nav?: { label: string; icon: string };
}

/** The console's pages: one line each. The left navigation is built from this table. */
export const ROUTES: ConsoleRoute[] = [
  { path: '/', element: <BoardPage />, nav: { label: 'Board', icon: '▦' } },
  { path: '/subtasks/:project/:key', element: <SubtaskPage /> },
  { path: '/approvals', element: <ApprovalsPage />, nav: { label: 'Approvals', icon: '✔' } },
  { path: '/escalations', element: <EscalationsPage />, nav: { label: 'Escalations', icon: '⚑' } },
  { path: '/costs', element: <CostsPage />, nav: { label: 'Costs', icon: '$' } },
  { path: '/queues', element: <QueuesPage />, nav: { label: 'Queues & workers', icon: '⇶' } },
  { path: '/activity', element: <ActivityPage />, nav: { label: 'Activity', icon: '≋' } },
  { path: '/system', element: <SystemPage />, nav: { label: 'System', icon: '⚙' } },
  { path: '/account', element: <AccountPage /> },
];
