import { describe, expect, test } from 'vitest';
import { describePaths, normaliseReportPath, selectForCommit } from './commit-selection.js';
import { territoryMatcher } from './territory.js';

const developer = territoryMatcher(['**', '!test/**']);
const change = (path: string, tracked = false) => ({ path, tracked });

describe("what an agent's commit holds", () => {
  test('only the files the agent wrote; reports, coverage and caches a test run made are left out', () => {
    const selection = selectForCommit(
      [
        change('src/cart.js', true),
        change('src/new.js'),
        change('test-results/unit.xml'),
        change('coverage/lcov.info'),
        change('coverage/lcov-report/index.html'),
        change('.cache/run.json'),
        change('README.md', true),
      ],
      { written: new Set(['src/cart.js', 'src/new.js']), inTerritory: developer, reports: ['test-results/unit.xml'] },
    );
    expect(selection.commit.map((entry) => entry.path)).toEqual(['src/cart.js', 'src/new.js']);
    expect(selection.leftOut).toEqual([
      { path: 'test-results/unit.xml', tracked: false, reason: 'report' },
      { path: 'coverage/lcov.info', tracked: false, reason: 'not_written' },
      { path: 'coverage/lcov-report/index.html', tracked: false, reason: 'not_written' },
      { path: '.cache/run.json', tracked: false, reason: 'not_written' },
      // A tracked file a command rewrote (or deleted) is put back too.
      { path: 'README.md', tracked: true, reason: 'not_written' },
    ]);
  });

  test('a report path is never committed, even when the agent wrote it; a report folder covers its files', () => {
    const selection = selectForCommit([change('test-results/unit.xml'), change('reports/junit/a.xml')], {
      written: new Set(['test-results/unit.xml', 'reports/junit/a.xml']),
      inTerritory: developer,
      reports: ['test-results/unit.xml', 'reports/junit'],
    });
    expect(selection.commit).toEqual([]);
    expect(selection.leftOut.map((entry) => entry.reason)).toEqual(['report', 'report']);
  });

  test("files outside the role's territory are left out as such, written or not", () => {
    const selection = selectForCommit([change('test/unit/last-run.json', true), change('src/cart.js', true)], {
      written: new Set(['src/cart.js']),
      inTerritory: developer,
      reports: [],
    });
    expect(selection.leftOut).toEqual([
      { path: 'test/unit/last-run.json', tracked: true, reason: 'outside_territory' },
    ]);
    expect(selection.commit).toEqual([{ path: 'src/cart.js', tracked: true }]);
  });

  test('a report path written as ./x, x/ or with backslashes covers the same files', () => {
    const selection = selectForCommit(
      [change('test-results/unit.xml'), change('reports/junit/a.xml'), change('out/b.xml')],
      {
        written: new Set(['test-results/unit.xml', 'reports/junit/a.xml', 'out/b.xml']),
        inTerritory: developer,
        reports: ['./test-results/unit.xml', 'reports/junit/', '.\\out\\'],
      },
    );
    expect(selection.commit).toEqual([]);
    expect(selection.leftOut.map((entry) => entry.reason)).toEqual(['report', 'report', 'report']);
    expect(normaliseReportPath('./reports//junit/../junit/')).toBe('reports/junit');
    // Paths that would cover the whole worktree, or name nothing in it, cover nothing.
    for (const nothing of ['', '.', './', '/tmp/report.xml', '../elsewhere.xml', '..'])
      expect(normaliseReportPath(nothing), nothing).toBeUndefined();
    expect(
      selectForCommit([change('src/cart.js')], {
        written: new Set(['src/cart.js']),
        inTerritory: developer,
        reports: ['./'],
      }).commit,
    ).toHaveLength(1);
  });

  test('a report path that is a prefix of another name does not cover it', () => {
    const selection = selectForCommit([change('test-results/unit.xml.md')], {
      written: new Set(['test-results/unit.xml.md']),
      inTerritory: developer,
      reports: ['test-results/unit.xml'],
    });
    expect(selection.commit).toHaveLength(1);
  });
});

describe('paths for a person to read', () => {
  test('few are listed one by one, many by top folder with their count', () => {
    expect(describePaths(['b.txt', 'a.txt'])).toBe('a.txt, b.txt');
    const many = [...Array.from({ length: 30 }, (_, index) => `coverage/file-${index}.html`), 'test-results/unit.xml'];
    expect(describePaths(many)).toBe('coverage/ (30 files), test-results/ (1 file)');
    expect(describePaths(['x', ...Array.from({ length: 14 }, (_, index) => `d${index}/f`)], 3)).toBe(
      'd0/ (1 file), d1/ (1 file), d10/ (1 file) and 12 more',
    );
  });
});
