import { useQuery } from '@tanstack/react-query';
import { Suspense } from 'react';
import { BrowserRouter, Link, NavLink, Route, Routes } from 'react-router';
import { UserMenu } from './auth/UserMenu.js';
import { EmptyState, Notice } from './components/Notice.js';
import { clock } from './format.js';
import { useLiveStatus } from './live-status.js';
import { ROUTES } from './routes.js';
import { useTRPC } from './trpc.js';

/** The console's frame: the top bar, the navigation, and the page the address names. */
export function App() {
  return (
    <BrowserRouter>
      <div className="app">
        <TopBar />
        <div className="frame">
          <SideNav />
          <main className="content">
            <DemoBanner />
            <Suspense fallback={<Notice tone="loading">Loading the page…</Notice>}>
              <Routes>
                {ROUTES.map((route) => (
                  <Route key={route.path} path={route.path} element={route.element} />
                ))}
                <Route path="*" element={<NotFound />} />
              </Routes>
            </Suspense>
          </main>
        </div>
      </div>
    </BrowserRouter>
  );
}

function TopBar() {
  const { status, live, connected } = useLiveStatus();
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        <span className="logo" aria-hidden>
          ♪
        </span>
        <span className="name">Maestro</span>
        <span className="subtitle">Control room</span>
      </Link>
      <div className="topbar-right">
        <div className={`live ${live ? 'on' : 'off'}`} title="Status updates arrive over server-sent events">
          <span className="dot" />
          {live ? 'Live' : connected ? 'Connecting…' : 'Reconnecting…'}
          {status && <span className="checked">checked {clock(status.checkedAt)}</span>}
        </div>
        <UserMenu />
      </div>
    </header>
  );
}

function SideNav() {
  const trpc = useTRPC();
  // What waits for a person, counted next to its inbox.
  const waiting = useQuery({ ...trpc.inbox.counts.queryOptions({}), refetchInterval: 10_000 }).data;
  const countOf: Record<string, number | undefined> = {
    '/approvals': waiting?.approvals,
    '/escalations': waiting?.escalations,
  };
  return (
    <nav className="sidenav" aria-label="Main">
      {ROUTES.filter((route) => route.nav).map((route) => (
        <NavLink
          key={route.path}
          to={route.path}
          end={route.path === '/'}
          className={({ isActive }) => `navlink${isActive ? ' active' : ''}`}
        >
          <span className="navicon" aria-hidden>
            {route.nav!.icon}
          </span>
          {route.nav!.label}
          {countOf[route.path] ? (
            <span className="count" title="waiting for a person">
              {countOf[route.path]}
            </span>
          ) : null}
        </NavLink>
      ))}
    </nav>
  );
}

function DemoBanner() {
  const { status } = useLiveStatus();
  if (!status?.models.demo) return null;
  return (
    <div className="notice demo" data-testid="demo-banner" role="status">
      <div>
        <strong>Demo mode.</strong> No model is configured, so a scripted model plays the agents on the sample project{' '}
        <code>demo</code>. Set <code>MAESTRO_MODEL_BASE_URL</code> (an OpenAI-compatible endpoint) or{' '}
        <code>OPENAI_API_KEY</code> to use a real model.
      </div>
    </div>
  );
}

function NotFound() {
  return (
    <div className="page">
      <EmptyState title="There is no page at this address" icon="?">
        <p>
          The link may be old, or mistyped. Go back to the <Link to="/">board</Link>.
        </p>
      </EmptyState>
    </div>
  );
}
