import { type ReactNode, lazy } from 'react';
import { BoardPage } from './pages/BoardPage.js';
import { AccountPage } from './pages/AccountPage.js';
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
  // The ops pages go here, one line each, in this order:
  // /approvals (Approvals), /escalations (Escalations), /costs (Costs), /queues (Queues & workers), /activity (Activity).
  { path: '/system', element: <SystemPage />, nav: { label: 'System', icon: '⚙' } },
  { path: '/account', element: <AccountPage /> },
];
