import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { AppRouter } from '../../../server/root.js';
import { SubtaskCard } from '../components/SubtaskCard.js';
import { EmptyState, Notice } from '../components/Notice.js';
import { PageHeader } from '../components/PageHeader.js';
import { STATUS_LABELS, errorMessage, sentence } from '../format.js';
import { useTRPC } from '../trpc.js';
import './BoardPage.css';

type Board = inferRouterOutputs<AppRouter>['board']['list'];
type Card = Board['subtasks'][number];
type Status = Card['status'];

/** The board's columns: statuses that mean the same to a person share one. */
const COLUMNS: Array<{ id: string; title: string; statuses: Status[]; hint: string }> = [
  { id: 'pending', title: 'Pending', statuses: ['pending'], hint: 'Waiting to start, or for a dependency' },
  {
    id: 'working',
    title: 'In progress',
    statuses: ['in_progress', 'retrying', 'failed'],
    hint: 'An agent works on a phase',
  },
  { id: 'testing', title: 'Testing', statuses: ['testing'], hint: 'The runner checks the work' },
  { id: 'blocked', title: 'Blocked', statuses: ['blocked'], hint: 'A person must answer' },
  { id: 'review', title: 'Ready for review', statuses: ['ready_for_review'], hint: 'Waiting for approval, or merging' },
  { id: 'done', title: 'Done', statuses: ['completed', 'cancelled'], hint: 'Merged or cancelled' },
];
const SHOWN_PER_COLUMN = 12;
const RISKS = ['low', 'medium', 'high'] as const;

/** Every subtask by status, with phase, progress, risk, who acts, cost and age; filtered and searched. */
export function BoardPage() {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const project = params.get('project') ?? undefined;
  const status = (params.get('status') as Status | null) ?? undefined;
  const risk = (params.get('risk') as (typeof RISKS)[number] | null) ?? undefined;
  const search = params.get('q') ?? '';
  const [typed, setTyped] = useState(search);

  // The search box waits for a pause in typing before it asks the server.
  useEffect(() => {
    const timer = setTimeout(() => update({ q: typed.trim() || undefined }), 250);
    return () => clearTimeout(timer);
  }, [typed]);

  function update(changes: Record<string, string | undefined>) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [name, value] of Object.entries(changes)) {
          if (value) next.set(name, value);
          else next.delete(name);
        }
        return next;
      },
      { replace: true },
    );
  }

  const filter = { project, status, risk, search: search || undefined, limit: 500 };
  const board = useQuery({
    ...trpc.board.list.queryOptions(filter),
    refetchInterval: 3_000,
    placeholderData: keepPreviousData,
  });
  const projects = useQuery(trpc.project.list.queryOptions());
  const filtered = Boolean(project || status || risk || search);

  return (
    <div className="page board-page">
      <PageHeader
        title="Board"
        subtitle={
          board.data
            ? `${board.data.total} subtask${board.data.total === 1 ? '' : 's'}${filtered ? ' match' : ''} · updated every few seconds`
            : 'Every subtask, by status.'
        }
      />
      <div className="filters" role="search">
        <input
          className="input search"
          type="search"
          placeholder="Search key, title or description…"
          aria-label="Search subtasks"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
        <select
          className="select"
          aria-label="Project"
          value={project ?? ''}
          onChange={(event) => update({ project: event.target.value || undefined })}
        >
          <option value="">All projects</option>
          {projects.data?.map((entry) => (
            <option key={entry.id} value={entry.name}>
              {entry.name}
            </option>
          ))}
        </select>
        <select
          className="select"
          aria-label="Status"
          value={status ?? ''}
          onChange={(event) => update({ status: event.target.value || undefined })}
        >
          <option value="">All statuses</option>
          {Object.entries(STATUS_LABELS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
              {board.data ? ` (${board.data.counts[value as Status]})` : ''}
            </option>
          ))}
        </select>
        <div className="segmented" role="group" aria-label="Risk">
          <button type="button" className={!risk ? 'on' : ''} onClick={() => update({ risk: undefined })}>
            Any risk
          </button>
          {RISKS.map((value) => (
            <button
              key={value}
              type="button"
              className={risk === value ? 'on' : ''}
              onClick={() => update({ risk: value })}
            >
              {value[0]!.toUpperCase() + value.slice(1)}
            </button>
          ))}
        </div>
        {filtered && (
          <button
            type="button"
            className="button small"
            onClick={() => {
              setTyped('');
              setParams(new URLSearchParams(), { replace: true });
            }}
          >
            Clear filters
          </button>
        )}
        {board.isFetching && <span className="spinner" aria-label="Refreshing" />}
      </div>

      {board.error && !board.data && (
        <Notice tone="error" title="The board could not be loaded.">
          {errorMessage(board.error)}
        </Notice>
      )}
      {board.error && board.data && (
        <Notice tone="warning" title="The board is not refreshing:">
          {sentence(errorMessage(board.error))} It shows what was last loaded.
        </Notice>
      )}
      {!board.data && !board.error && <BoardSkeleton />}
      {board.data && board.data.total === 0 && !filtered && <NoSubtasksYet />}
      {board.data && board.data.total === 0 && filtered && (
        <EmptyState title="No subtask matches these filters" icon="⌕" testId="board-no-match">
          <p>Change the search or the filters, or clear them to see every subtask.</p>
        </EmptyState>
      )}
      {board.data && board.data.total > 0 && <Columns board={board.data} onlyStatus={status} />}
    </div>
  );
}

function Columns({ board, onlyStatus }: { board: Board; onlyStatus?: Status }) {
  const [expanded, setExpanded] = useState<Record<string, boolean>>({});
  // When the first cards are on screen: what the console benchmark measures.
  useEffect(() => {
    if (performance.getEntriesByName('maestro:board-rendered').length === 0) performance.mark('maestro:board-rendered');
  }, []);
  const byColumn = useMemo(() => {
    const groups = new Map<string, Card[]>(COLUMNS.map((column) => [column.id, []]));
    for (const card of board.subtasks)
      groups.get(COLUMNS.find((column) => column.statuses.includes(card.status))!.id)!.push(card);
    return groups;
  }, [board.subtasks]);
  const columns = onlyStatus ? COLUMNS.filter((column) => column.statuses.includes(onlyStatus)) : COLUMNS;
  return (
    <div className={`columns${onlyStatus ? ' single' : ''}`}>
      {columns.map((column) => {
        const cards = byColumn.get(column.id)!;
        const count = column.statuses.reduce((sum, value) => sum + board.counts[value], 0);
        const shown = expanded[column.id] ? cards : cards.slice(0, SHOWN_PER_COLUMN);
        return (
          <section
            key={column.id}
            className={`column column-${column.id}`}
            data-testid={`column-${column.id}`}
            aria-label={column.title}
          >
            <header className="column-header" title={column.hint}>
              <span className="column-title">{column.title}</span>
              <span className="column-count">{count}</span>
            </header>
            <div className="column-cards">
              {shown.map((card) => (
                <SubtaskCard key={card.id} card={card} />
              ))}
              {cards.length === 0 && (
                <p className="column-empty">{count === 0 ? 'Nothing here' : 'Not on this page'}</p>
              )}
              {cards.length > shown.length && (
                <button
                  type="button"
                  className="button small more"
                  onClick={() => setExpanded({ ...expanded, [column.id]: true })}
                >
                  Show {cards.length - shown.length} more
                </button>
              )}
              {count > cards.length && cards.length > 0 && (
                <p className="column-empty">{count - cards.length} older: filter by status to see them</p>
              )}
            </div>
          </section>
        );
      })}
    </div>
  );
}

function NoSubtasksYet() {
  return (
    <EmptyState title="No subtasks yet" icon="▦" testId="board-empty">
      <p>
        A subtask is one piece of work on a project: the agents carry it through red, green, refactor, verify and the
        merge. Register a project, then start a subtask on it, from a script:
      </p>
      <pre>{`await api.project.create.mutate({ name: 'shop', repository: '/src/shop', testCommand: 'npm test' });
await api.subtask.start.mutate({
  project: 'shop', key: '3-1', title: 'Add tax to the cart total', risk: 'medium',
  acceptanceCriteria: ['total(items, taxRate) adds the tax, rounded to cents'],
});`}</pre>
      <p>
        or from a terminal with <code>maestro subtask start</code> (<code>--help</code> says how). It shows up here at
        once.
      </p>
    </EmptyState>
  );
}

function BoardSkeleton() {
  return (
    <div className="columns" aria-busy="true" aria-label="Loading the board">
      {COLUMNS.map((column) => (
        <section key={column.id} className="column">
          <header className="column-header">
            <span className="column-title">{column.title}</span>
          </header>
          <div className="column-cards">
            <div className="card-skeleton" />
            <div className="card-skeleton" />
          </div>
        </section>
      ))}
    </div>
  );
}
