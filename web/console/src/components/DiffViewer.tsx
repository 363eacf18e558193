import { Diff2HtmlUI } from 'diff2html/lib-esm/ui/js/diff2html-ui-slim.js';
import 'diff2html/bundles/css/diff2html.min.css';
import 'highlight.js/styles/github.css';
import { useEffect, useRef, useState } from 'react';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/root.js';
import './DiffViewer.css';

type DiffFile = Extract<inferRouterOutputs<AppRouter>['subtask']['diff'], { files: unknown }>['files'][number];

/** A unified diff, syntax-highlighted, unified or side by side. */
export function DiffViewer({ text, files }: { text: string; files: DiffFile[] }) {
  const [layout, setLayout] = useState<'line-by-line' | 'side-by-side'>('line-by-line');
  const target = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!target.current) return;
    const ui = new Diff2HtmlUI(target.current, text, {
      outputFormat: layout,
      drawFileList: false,
      matching: 'lines',
      highlight: true,
      synchronisedScroll: true,
      fileContentToggle: false,
      stickyFileHeaders: false,
      renderNothingWhenEmpty: false,
    });
    ui.draw();
    ui.highlightCode();
  }, [text, layout]);

  return (
    <div className="diff-viewer">
      <div className="diff-toolbar">
        <ul className="diff-files" aria-label="Changed files">
          {files.map((file) => (
            <li key={file.path} className={file.omitted ? 'omitted' : ''} data-testid="diff-file">
              <code>{file.from ? `${file.from} → ${file.path}` : file.path}</code>
              {file.binary ? (
                <span className="muted">binary</span>
              ) : (
                <span className="diff-counts">
                  <span className="adds">+{file.additions}</span> <span className="dels">−{file.deletions}</span>
                </span>
              )}
              {file.omitted && <span className="badge warn">not shown</span>}
            </li>
          ))}
        </ul>
        <div className="segmented" role="group" aria-label="Diff layout">
          <button
            type="button"
            className={layout === 'line-by-line' ? 'on' : ''}
            onClick={() => setLayout('line-by-line')}
          >
            Unified
          </button>
          <button
            type="button"
            className={layout === 'side-by-side' ? 'on' : ''}
            onClick={() => setLayout('side-by-side')}
          >
            Side by side
          </button>
        </div>
      </div>
      <div ref={target} className="diff-body" data-testid="diff-body" data-layout={layout} />
    </div>
  );
}
