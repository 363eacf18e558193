import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { type DirectNpmScript, type ThroughNpm, directNpmScript, npmExitCodeForSignal } from './npm-script.js';
import { findOnPath } from '../../runtime/sandbox.js';

/** A package in a fresh folder (resolved: npm's paths are), with these scripts and more of package.json. */
function makePackage(scripts: Record<string, unknown>, more: Record<string, unknown> = {}, parent?: string): string {
  const dir = parent
    ? path.join(parent, `pkg-${Math.random().toString(36).slice(2)}`)
    : realpathSync(mkdtempSync(path.join(os.tmpdir(), 'maestro-npm-script-')));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'probe', version: '1.2.3', scripts, ...more }));
  return dir;
}

/** An executable in `<dir>/node_modules/.bin`. */
function binary(dir: string, name: string, text = '#!/bin/sh\necho hi\n'): string {
  const bin = path.join(dir, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  const file = path.join(bin, name);
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

/** A HOME without an .npmrc, and the machine's PATH. */
const env = (more: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH!,
  HOME: mkdtempSync(path.join(os.tmpdir(), 'maestro-npm-home-')),
  ...more,
});

const direct = (decision: DirectNpmScript | ThroughNpm): DirectNpmScript => {
  if ('reason' in decision) throw new Error(`expected a direct run, got: ${decision.reason}`);
  return decision;
};
const reason = (decision: DirectNpmScript | ThroughNpm): string => {
  if (!('reason' in decision)) throw new Error(`expected npm, got a direct run of ${decision.words.join(' ')}`);
  return decision.reason;
};

describe('directNpmScript', () => {
  test("runs npm test's script itself, with the arguments after -- appended as npm does", () => {
    const dir = makePackage({ test: `node check.js --flag 'two words' "src/**/*.test.js"` });
    const decision = direct(directNpmScript(['npm', 'test', '--', '--reporter', 'junit', 'a b', '--'], dir, env()));
    expect(decision).toMatchObject({ name: 'test', script: `node check.js --flag 'two words' "src/**/*.test.js"` });
    expect(decision.words).toEqual([
      'node',
      'check.js',
      '--flag',
      'two words',
      'src/**/*.test.js',
      '--reporter',
      'junit',
      'a b',
      '--',
    ]);
    expect(decision.env).toMatchObject({
      npm_lifecycle_event: 'test',
      npm_lifecycle_script: decision.script,
      npm_command: 'test',
      npm_package_name: 'probe',
      npm_package_version: '1.2.3',
      npm_package_json: path.join(dir, 'package.json'),
      INIT_CWD: dir,
      NODE: realpathSync(findOnPath('node')!),
    });
    expect(direct(directNpmScript(['npm', 't'], dir, env())).words).toEqual(decision.words.slice(0, 5));
  });

  test('npm run and npm run-script name the script; npm_command is "run" for both, as npm 11 sets it', () => {
    const dir = makePackage({ 'test:unit': 'node -e 0' });
    for (const verb of ['run', 'run-script']) {
      const decision = direct(directNpmScript(['npm', verb, 'test:unit'], dir, env()));
      expect(decision.words).toEqual(['node', '-e', '0']);
      expect(decision.env).toMatchObject({ npm_lifecycle_event: 'test:unit', npm_command: 'run' });
    }
  });

  test("PATH is each folder's node_modules/.bin from the package's up to /, nearest first, then the command's", () => {
    const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'maestro-npm-tree-')));
    const dir = makePackage({ test: 'runner --once' }, {}, path.join(root, 'a'));
    // Only the ancestor has it: npm's PATH finds it there.
    binary(root, 'runner');
    const decision = direct(directNpmScript(['npm', 'test'], dir, env()));
    const entries = decision.env.PATH!.split(':');
    const ancestors: string[] = [];
    for (let folder = dir; ; folder = path.dirname(folder)) {
      ancestors.push(path.join(folder, 'node_modules', '.bin'));
      if (path.dirname(folder) === folder) break;
    }
    expect(entries.slice(0, ancestors.length)).toEqual(ancestors);
    expect(entries[ancestors.length]).toMatch(/@npmcli\/run-script\/lib\/node-gyp-bin$/);
    expect(entries.slice(ancestors.length + 1).join(':')).toBe(process.env.PATH);
    expect(decision.words).toEqual(['runner', '--once']);
    // Once the package has its own, that one comes first.
    const own = binary(dir, 'runner');
    expect(findOnPath('runner', decision.env.PATH)).toBe(own);
  });

  test('the environment is what npm 11 itself gives the script, less the copies of its settings', () => {
    const dir = makePackage(
      { test: 'node dump.js' },
      {
        config: { port: 8080, tags: ['a', 'b'] },
        engines: { node: '>=20' },
        bin: { probe: './cli.js', 'sub/other': 'bin/other.js' },
      },
    );
    writeFileSync(
      path.join(dir, 'dump.js'),
      "console.log('ENV=' + JSON.stringify({ ...process.env, argv: process.argv.slice(2) }))",
    );
    const base = env({ CI: '1' });
    const decision = direct(directNpmScript(['npm', 'test', '--', 'x'], dir, base));
    const printed = execFileSync('npm', ['test', '--', 'x'], { cwd: dir, env: base, encoding: 'utf8' });
    const npmEnv = JSON.parse(/^ENV=(.*)$/m.exec(printed)![1]!) as Record<string, unknown>;
    expect(npmEnv.argv).toEqual(decision.words.slice(2));
    // Every variable set is npm's own value.
    for (const [name, value] of Object.entries(decision.env)) expect([name, npmEnv[name]]).toEqual([name, value]);
    expect(decision.env).toMatchObject({
      npm_package_config_port: '8080',
      npm_package_config_tags_1: 'b',
      npm_package_engines_node: '>=20',
      npm_package_bin_probe: 'cli.js',
      npm_package_bin_other: 'bin/other.js',
    });
    // And what npm sets besides is only its settings' copies (and its user agent); those of the
    // machine's npmrc files besides these, where there are any.
    const added = Object.keys(npmEnv).filter((name) => !(name in base) && name !== 'argv' && !(name in decision.env));
    expect(added.filter((name) => !name.startsWith('npm_config_'))).toEqual([]);
    expect(added).toEqual(
      expect.arrayContaining([
        'npm_config_cache',
        'npm_config_global_prefix',
        'npm_config_globalconfig',
        'npm_config_prefix',
        'npm_config_user_agent',
        'npm_config_userconfig',
      ]),
    );
  });

  test('any other npm command, flag or word runs through npm', () => {
    const dir = makePackage({ test: 'node -e 0' });
    for (const words of [
      ['node', 'test.js'],
      ['npm', 'ci'],
      ['npm', 'run'],
      ['npm', '-w', 'a', 'test'],
      ['npm', '--silent', 'test'],
      ['/usr/bin/npm', 'test'],
    ])
      expect(directNpmScript(words, dir, env())).toEqual({ reason: expect.any(String) });
    const extra: Array<[string[], string]> = [
      [['npm', 'test', '--silent'], '--silent'],
      [['npm', 'test', '--if-present'], '--if-present'],
      [['npm', 'run', 'test', 'extra'], 'extra'],
      [['npm', 'run', 'test', '--prefix', 'x', '--'], '--prefix'],
    ];
    for (const [words, word] of extra)
      expect(directNpmScript(words, dir, env())).toEqual({
        name: 'test',
        reason: `\`${word}\` is for npm (only \`-- args\` may follow the script's name)`,
      });
    expect(reason(directNpmScript(['npm', 'run', '--silent', 'test'], dir, env()))).toMatch(/without a script's name/);
  });

  test("what is in the package's folder can make npm do more: then it runs through npm", () => {
    const cases: Array<[string, () => string, RegExp]> = [
      [
        'no package.json',
        () => realpathSync(mkdtempSync(path.join(os.tmpdir(), 'maestro-npm-none-'))),
        /has no package.json/,
      ],
      [
        'a package.json that does not parse',
        () => {
          const dir = makePackage({});
          writeFileSync(path.join(dir, 'package.json'), '{ "scripts": ');
          return dir;
        },
        /package.json does not parse/,
      ],
      ['no such script', () => makePackage({ lint: 'eslint .' }), /no script "test"/],
      ['a script that is not a string', () => makePackage({ test: ['vitest'] }), /no script "test"/],
      ['a pretest', () => makePackage({ test: 'node -e 0', pretest: 'node -e 0' }), /"pretest" script/],
      ['a posttest', () => makePackage({ test: 'node -e 0', posttest: 'node -e 0' }), /"posttest" script/],
      [
        'devEngines',
        () => makePackage({ test: 'node -e 0' }, { devEngines: { runtime: { name: 'node' } } }),
        /devEngines/,
      ],
      [
        'an .npmrc',
        () => {
          const dir = makePackage({ test: 'node -e 0' });
          writeFileSync(path.join(dir, '.npmrc'), 'registry=https://example.invalid/\n');
          return dir;
        },
        /has an .npmrc/,
      ],
      [
        'a workspace root above',
        () => {
          const root = makePackage({}, { workspaces: ['packages/*'] });
          return makePackage({ test: 'node -e 0' }, {}, path.join(root, 'packages'));
        },
        /has workspaces/,
      ],
    ];
    for (const [, dir, expected] of cases)
      expect(directNpmScript(['npm', 'test'], dir(), env())).toEqual({
        name: 'test',
        reason: expect.stringMatching(expected),
      });
  });

  test('npm settings that change how scripts run, in the environment or a config file, send it through npm', () => {
    const dir = makePackage({ test: 'node -e 0' });
    for (const name of [
      'npm_config_script_shell',
      'NPM_CONFIG_IGNORE_SCRIPTS',
      'npm_config_node_options',
      'npm_config_workspace',
    ])
      expect(reason(directNpmScript(['npm', 'test'], dir, env({ [name]: 'x' })))).toBe(
        `${name} is set, which changes how npm runs scripts`,
      );
    // The copies npm leaves of its settings when it started Maestro change nothing.
    direct(directNpmScript(['npm', 'test'], dir, env({ npm_config_user_agent: 'npm/11', npm_config_cache: '/tmp/x' })));

    const home = env();
    writeFileSync(path.join(home.HOME!, '.npmrc'), '; a comment\nregistry=https://example.invalid/\n');
    direct(directNpmScript(['npm', 'test'], dir, home));
    writeFileSync(path.join(home.HOME!, '.npmrc'), 'registry=https://example.invalid/\nscript_shell = /bin/bash\n');
    expect(reason(directNpmScript(['npm', 'test'], dir, home))).toBe(
      `${path.join(home.HOME!, '.npmrc')} sets script-shell, which changes how npm runs scripts`,
    );
    // A sandbox's HOME is another folder: that HOME's .npmrc is not the one npm reads.
    direct(directNpmScript(['npm', 'test'], dir, home, { home: null }));
    const userconfig = path.join(home.HOME!, 'other-npmrc');
    writeFileSync(userconfig, 'node-options=--require ./x.js\n');
    expect(
      reason(directNpmScript(['npm', 'test'], dir, { ...home, npm_config_userconfig: userconfig }, { home: null })),
    ).toMatch(/other-npmrc sets node-options/);
  });

  test('a script sh would do more with than run one program with literal arguments runs through npm', () => {
    const scripts: Record<string, RegExp> = {
      'vitest run && node after.js': /`&` outside quotes/,
      'vitest run | tee out': /`\|` outside quotes/,
      'vitest; true': /`;` outside quotes/,
      'vitest > out.txt': /`>` outside quotes/,
      'vitest $ARGS': /`\$` outside quotes/,
      'vitest --dir "$HOME"': /`\$` in double quotes/,
      'vitest `pwd`': /has ``` outside quotes/,
      'mocha test/*.js': /`\*` outside quotes/,
      'mocha test/?.js': /`\?` outside quotes/,
      'mocha test/[ab].js': /`\[` outside quotes/,
      'mocha ~/tests': /`~` outside quotes/,
      'mocha test\\ dir': /`\\` outside quotes/,
      'mocha "a\\"b"': /`\\` in double quotes/,
      'mocha {a,b}.js': /`\{` outside quotes/,
      'mocha # all': /`#` outside quotes/,
      'mocha\nnode x.js': /more than one line/,
      "mocha 'unterminated": /unterminated quote/,
      'NODE_ENV=test mocha': /variable assignment/,
      'echo ok': /`echo`, a shell builtin/,
      'exec node x.js': /`exec`, a shell builtin/,
      'npm run other': /runs npm/,
      'npx vitest': /runs npx/,
      'pnpm test': /runs pnpm/,
      'yarn test': /runs yarn/,
      'no-such-program-for-maestro --version': /`no-such-program-for-maestro` is not on npm's PATH/,
    };
    for (const [script, expected] of Object.entries(scripts)) {
      const dir = makePackage({ test: script });
      expect([script, reason(directNpmScript(['npm', 'test'], dir, env()))]).toEqual([
        script,
        expect.stringMatching(expected),
      ]);
    }
    // Quoted, the same characters are literal to sh as well: those run directly.
    const dir = makePackage({ test: `node -e 'console.log($HOME, \`x\`)' "*.js" '~' "{a,b}" '#'` });
    expect(direct(directNpmScript(['npm', 'test'], dir, env())).words).toEqual([
      'node',
      '-e',
      'console.log($HOME, `x`)',
      '*.js',
      '~',
      '{a,b}',
      '#',
    ]);
  });

  test('the program must be one execve runs: a #! line or a binary', () => {
    const dir = makePackage({ test: 'runner', lint: './lint.sh' });
    binary(dir, 'runner', 'echo no shebang\n');
    expect(reason(directNpmScript(['npm', 'test'], dir, env()))).toMatch(/has no #! line/);
    writeFileSync(path.join(dir, 'lint.sh'), '#!/bin/sh\necho lint\n');
    chmodSync(path.join(dir, 'lint.sh'), 0o755);
    expect(direct(directNpmScript(['npm', 'run', 'lint'], dir, env())).words).toEqual(['./lint.sh']);
  });

  test('npm and node must be on the PATH, an absolute one, as they would be for npm to start', () => {
    const dir = makePackage({ test: 'node -e 0' });
    expect(reason(directNpmScript(['npm', 'test'], dir, env({ PATH: '/nonexistent' })))).toBe('npm is not on PATH');
    expect(reason(directNpmScript(['npm', 'test'], dir, env({ PATH: `bin:${process.env.PATH}` })))).toMatch(
      /relative folders/,
    );
  });
});

test('a script ended by a signal is, through npm (its sh), 128 + the signal', () => {
  expect(npmExitCodeForSignal('SIGKILL')).toBe(137);
  expect(npmExitCodeForSignal('SIGTERM')).toBe(143);
  expect(npmExitCodeForSignal('SIGNOPE')).toBeUndefined();
});
