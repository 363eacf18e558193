import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitCommandLine } from './command-line.js';
import { findOnPath } from '../../runtime/sandbox.js';

/**
 * An npm script run without npm: the script's own program and arguments, and the variables npm
 * would have added to the environment (`name` is the script's name, `script` its text).
 */
export interface DirectNpmScript {
  words: string[];
  env: Record<string, string>;
  script: string;
  name: string;
}

/** Why the command runs through npm after all (`name`: the script's, once the command is known to run one). */
export interface ThroughNpm {
  reason: string;
  name?: string;
}

export interface NpmScriptContext {
  /**
   * The HOME npm would see, whose `.npmrc` is its user configuration: the environment's by
   * default; null when it has none there (a sandbox's fresh private folder).
   */
  home?: string | null;
}

/**
 * Whether `npm test` / `npm run <name> [-- args]` (split into `words`) can run its script's program
 * directly, with the same result as through npm: `sh -c '<script> args'` in the package's folder,
 * `node_modules/.bin` of that folder and of each of its ancestors first on PATH, npm's variables.
 * Only a script that the shell would run as one plain program with literal arguments qualifies,
 * and only where nothing would make npm do more than that (pre/post scripts, workspaces, an
 * `.npmrc` or an `npm_config_*` variable that changes how scripts run, `devEngines`); in every
 * other case the reason it does not, and the command runs through npm as written.
 *
 * The environment is npm 11's, less the `npm_config_*` copies of npm's and the user's settings
 * (the user agent, the cache's and the config files' paths, the registry...) that a script's
 * program does not act on.
 */
export function directNpmScript(
  words: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
  context: NpmScriptContext = {},
): DirectNpmScript | ThroughNpm {
  const command = npmRunCommand(words);
  if ('reason' in command) return command;
  const { name, npmCommand, args } = command;
  const through = (reason: string): ThroughNpm => ({ reason, name });

  let folder: string;
  try {
    // npm runs in its process's working folder, the resolved one: its paths are made from it.
    folder = realpathSync(cwd);
  } catch {
    return through(`${cwd} does not exist`);
  }
  const pkg = readPackageJson(folder);
  if (typeof pkg === 'string') return through(pkg);
  const scripts = isRecord(pkg.scripts) ? pkg.scripts : {};
  const script = Object.hasOwn(scripts, name) ? scripts[name] : undefined;
  if (typeof script !== 'string') return through(`package.json has no script "${name}"`);
  for (const other of [`pre${name}`, `post${name}`])
    if (Object.hasOwn(scripts, other)) return through(`package.json has a "${other}" script, which npm runs too`);
  if (pkg.devEngines !== undefined) return through('package.json has devEngines, which npm checks first');
  if (Array.isArray(pkg.bin) && pkg.bin.some((file) => typeof file !== 'string'))
    return through('package.json has a bin that npm cannot read');
  if (isRecord(pkg.directories) && pkg.directories.bin !== undefined)
    return through('package.json has directories.bin, which npm expands into npm_package_bin_*');
  const workspaceRoot = ancestorWorkspaceRoot(folder);
  if (workspaceRoot)
    return through(`${workspaceRoot}/package.json has workspaces: npm may run this one as a workspace`);
  if (existsSync(path.join(folder, '.npmrc')))
    return through('the project has an .npmrc, which can change how npm runs scripts');

  const setting = behaviourSetting(env);
  if (setting) return through(`${setting} is set, which changes how npm runs scripts`);

  const scriptWords = literalCommand(script);
  if (!Array.isArray(scriptWords)) return through(`its script \`${script}\` ${scriptWords.reason}`);
  const [program] = scriptWords as [string, ...string[]];
  if (/=/.test(program)) return through(`its script \`${script}\` starts with a variable assignment`);
  if (SHELL_WORDS.has(program)) return through(`its script \`${script}\` starts with \`${program}\`, a shell builtin`);
  if (PACKAGE_MANAGERS.has(path.basename(program)))
    return through(`its script \`${script}\` runs ${path.basename(program)}, which gains nothing run directly`);
  if (path.basename(program) === 'node-gyp')
    return through('its script runs node-gyp, which npm puts a shim of its own before on PATH');

  // npm is itself a node script: the npm and the node of the command's PATH are the ones it would run.
  const npm = npmInstall(env.PATH);
  if (typeof npm === 'string') return through(npm);
  const home = context.home === undefined ? env.HOME : (context.home ?? undefined);
  const userConfig = npmSetting(env, 'userconfig') ?? (home ? path.join(home, '.npmrc') : undefined);
  // The global config is in npm's global prefix, which the environment may move: each candidate is read.
  const globalPrefixes = [env.PREFIX, npmSetting(env, 'prefix'), path.dirname(path.dirname(npm.node))];
  const globalConfigs =
    npmSetting(env, 'globalconfig') ?? globalPrefixes.map((prefix) => prefix && path.join(prefix, 'etc', 'npmrc'));
  const configFiles = [userConfig, ...[globalConfigs].flat(), path.join(npm.root, 'npmrc')];
  const configSetting = configFiles.map((file) => file && npmrcSetting(file)).find(Boolean);
  if (configSetting) return through(configSetting);

  // set-path.js of @npmcli/run-script: each folder's node_modules/.bin from the package's up to /, then node-gyp's shim.
  const binDirs: string[] = [];
  for (let dir = folder; ; dir = path.dirname(dir)) {
    binDirs.push(path.join(dir, 'node_modules', '.bin'));
    if (path.dirname(dir) === dir) break;
  }
  const PATH = [...binDirs, npm.nodeGypBin, env.PATH].join(':');
  const found = findOnPath(program.includes('/') ? path.resolve(folder, program) : program, PATH);
  if (!found) return through(`\`${program}\` is not on npm's PATH`);
  if (!startsAsProgram(found)) return through(`${found} has no #! line: only sh would know to run it as a script`);

  return {
    name,
    script,
    words: [...scriptWords, ...args],
    env: {
      PATH,
      ...packageEnv(pkg),
      npm_package_json: path.join(folder, 'package.json'),
      npm_lifecycle_event: name,
      npm_lifecycle_script: script,
      npm_command: npmCommand,
      INIT_CWD: folder,
      // sh's: the folder it runs in, whatever PWD Maestro's environment holds.
      PWD: folder,
      npm_config_local_prefix: folder,
      npm_config_node_gyp: npmSetting(env, 'node_gyp') ?? npm.nodeGyp,
      npm_config_npm_version: npm.version,
      npm_execpath: npm.cli,
      npm_node_execpath: npm.node,
      NODE: npm.node,
      // Maestro's commands never print to a terminal: npm's color is then off.
      COLOR: '0',
      EDITOR: npmSetting(env, 'editor') ?? env.EDITOR ?? env.VISUAL ?? 'vi',
      ...(env.HOME ? {} : { HOME: os.homedir() }),
    },
  };
}

/** The exit code npm reports for a script killed by a signal: sh's, 128 + its number (`Killed`: 137). */
export function npmExitCodeForSignal(signal: string): number | undefined {
  const number = (os.constants.signals as Record<string, number | undefined>)[signal];
  return number === undefined ? undefined : 128 + number;
}

/** `npm test`, `npm t`, `npm run <name>`, `npm run-script <name>`, each with nothing after but `-- args`. */
function npmRunCommand(words: readonly string[]): { name: string; npmCommand: string; args: string[] } | ThroughNpm {
  const [npm, verb, ...rest] = words;
  if (npm !== 'npm') return { reason: 'not an npm command' };
  let name: string;
  let npmCommand: string;
  if (verb === 'test' || verb === 't') {
    name = 'test';
    npmCommand = 'test';
  } else if (verb === 'run' || verb === 'run-script') {
    const given = rest.shift();
    if (given === undefined || given === '' || given.startsWith('-'))
      return { reason: `\`npm ${verb}\` without a script's name first` };
    name = given;
    npmCommand = 'run';
  } else {
    return { reason: `\`npm ${verb ?? ''}\` does not run a script` };
  }
  if (rest.length > 0 && rest[0] !== '--')
    return { reason: `\`${rest[0]}\` is for npm (only \`-- args\` may follow the script's name)`, name };
  return { name, npmCommand, args: rest.slice(1) };
}

type PackageJson = Record<string, unknown>;

function readPackageJson(folder: string): PackageJson | string {
  let text: string;
  try {
    text = readFileSync(path.join(folder, 'package.json'), 'utf8');
  } catch {
    return `${folder} has no package.json`;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : 'package.json is not an object';
  } catch (error) {
    return `package.json does not parse: ${(error as Error).message}`;
  }
}

/** The nearest ancestor whose package.json declares workspaces: npm would look there for one holding this folder. */
function ancestorWorkspaceRoot(folder: string): string | undefined {
  for (let dir = path.dirname(folder); ; dir = path.dirname(dir)) {
    const pkg = existsSync(path.join(dir, 'package.json')) ? readPackageJson(dir) : undefined;
    if (pkg && typeof pkg !== 'string' && pkg.workspaces !== undefined) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * npm settings that change how a script runs or what it is given (npm reads them from
 * `npm_config_*` variables, any case, and from its config files), in npm's spelling.
 */
const BEHAVIOUR_SETTINGS = new Set([
  'script-shell',
  'node-options',
  'ignore-scripts',
  'workspace',
  'workspaces',
  'include-workspace-root',
  'global',
  'location',
  'color',
]);
/**
 * In a config file also these: what npm exports from them (npm_config_node_gyp, EDITOR) is
 * mirrored from the environment only, and the config files they name are not read here.
 */
const RC_ONLY_SETTINGS = new Set(['node-gyp', 'editor', 'userconfig', 'globalconfig']);

/** An `npm_config_<key>` variable's value, its name in any case as npm reads it. */
function npmSetting(env: Readonly<Record<string, string>>, key: string): string | undefined {
  const name = Object.keys(env).find((candidate) => candidate.toLowerCase() === `npm_config_${key}`);
  return name === undefined ? undefined : env[name];
}

function behaviourSetting(env: Readonly<Record<string, string>>): string | undefined {
  return Object.keys(env).find(
    (name) => /^npm_config_/i.test(name) && BEHAVIOUR_SETTINGS.has(settingName(name.slice('npm_config_'.length))),
  );
}

function settingName(key: string): string {
  return key.toLowerCase().replace(/_/g, '-');
}

/** The first setting of an npm config file (ini: `key = value`) that matters to a script run, said as the reason. */
function npmrcSetting(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#') || line.startsWith('[')) continue;
    const key = settingName(
      line
        .split('=')[0]!
        .trim()
        .replace(/^(["'])(.*)\1$/, '$2')
        .replace(/\[\]$/, ''),
    );
    if (BEHAVIOUR_SETTINGS.has(key) || RC_ONLY_SETTINGS.has(key))
      return `${file} sets ${key}, which changes how npm runs scripts`;
  }
  return undefined;
}

interface NpmInstall {
  root: string;
  cli: string;
  version: string;
  /** The node npm runs on: `#!/usr/bin/env node`, resolved. */
  node: string;
  nodeGyp: string;
  nodeGypBin: string;
}

/** The npm the command would have started, where its files are, and its node; why not when unknown. */
function npmInstall(PATH: string | undefined): NpmInstall | string {
  if (!PATH || PATH.split(':').some((dir) => !path.isAbsolute(dir)))
    return 'PATH is empty or has relative folders, which sh and npm search differently';
  const npmBin = findOnPath('npm', PATH);
  if (!npmBin) return 'npm is not on PATH';
  const nodeBin = findOnPath('node', PATH);
  if (!nodeBin) return 'node is not on PATH';
  let cli: string;
  let node: string;
  try {
    cli = realpathSync(npmBin);
    node = realpathSync(nodeBin);
  } catch (error) {
    return `npm or node cannot be resolved: ${(error as Error).message}`;
  }
  const root = path.dirname(path.dirname(cli));
  const pkg = readPackageJson(root);
  const nodeGypBin = path.join(root, 'node_modules', '@npmcli', 'run-script', 'lib', 'node-gyp-bin');
  if (
    typeof pkg === 'string' ||
    pkg.name !== 'npm' ||
    typeof pkg.version !== 'string' ||
    path.relative(root, cli) !== path.join('bin', 'npm-cli.js') ||
    !existsSync(nodeGypBin)
  )
    return `${npmBin} is not an npm installation known here (${cli})`;
  return {
    root,
    cli,
    version: pkg.version,
    node,
    nodeGyp: path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    nodeGypBin,
  };
}

/** package-envs.js of @npmcli/run-script: name, version, config, engines and bin, flattened to npm_package_*. */
function packageEnv(pkg: PackageJson): Record<string, string> {
  const env: Record<string, string> = {};
  const add = (value: unknown, prefix: string) => {
    if (value === undefined) return;
    if (value === null || value === false) env[prefix] = '';
    else if (Array.isArray(value)) value.forEach((item, index) => add(item, `${prefix}_${index}`));
    else if (typeof value === 'object')
      for (const [key, inner] of Object.entries(value as object)) add(inner, `${prefix}_${key}`);
    else env[prefix] = String(value as string | number | boolean);
  };
  const bin = normalBin(pkg);
  const fields = { name: pkg.name, version: pkg.version, config: pkg.config, engines: pkg.engines, bin };
  for (const [key, value] of Object.entries(fields)) add(value, `npm_package_${key}`);
  return env;
}

/** package.json's bin as npm normalises it (normalizePackageBin of @npmcli/package-json): { name: path }. */
function normalBin(pkg: PackageJson): Record<string, string> | undefined {
  let bin = pkg.bin;
  if (!bin) return undefined;
  if (typeof bin === 'string' && typeof pkg.name === 'string' && pkg.name) bin = { [pkg.name]: bin };
  else if (Array.isArray(bin)) bin = Object.fromEntries(bin.map((file: string) => [path.basename(file), file]));
  if (!isRecord(bin)) return undefined;
  const normal: Record<string, string> = {};
  for (const [key, value] of Object.entries(bin)) {
    if (typeof value !== 'string') continue;
    const name = path.basename(securePath(key));
    const target = securePath(value);
    if (name && target) normal[name] = target;
  }
  return Object.keys(normal).length > 0 ? normal : undefined;
}

/** A path kept inside the package, with forward slashes; '' when there is none. */
function securePath(ref: string): string {
  const unixify = (text: string) => text.replace(/\\|:/g, '/');
  const secured = unixify(path.join('.', path.join('/', unixify(ref))));
  return secured.startsWith('./') ? '' : secured;
}

/**
 * The words of a script that sh runs as one program with literal arguments, or why it is not one:
 * outside quotes only plain characters, no operator, expansion, glob, `~`, comment or escape; in
 * double quotes no `$`, backtick or backslash (single quotes keep everything); one line. The words
 * must also be the ones splitCommandLine finds.
 */
function literalCommand(script: string): string[] | { reason: string } {
  if (/[\r\n]/.test(script)) return { reason: 'has more than one line' };
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < script.length; i++) {
    const char = script[i]!;
    if (char === ' ' || char === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (char === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) return { reason: 'has an unterminated quote' };
      word += script.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (char === '"') {
      const end = script.indexOf('"', i + 1);
      if (end < 0) return { reason: 'has an unterminated quote' };
      const quoted = script.slice(i + 1, end);
      const special = /[$`\\]/.exec(quoted);
      if (special) return { reason: `has \`${special[0]}\` in double quotes, which sh interprets` };
      word += quoted;
      inWord = true;
      i = end;
    } else if (PLAIN.test(char)) {
      word += char;
      inWord = true;
    } else {
      return { reason: `has \`${char}\` outside quotes, which sh interprets` };
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) return { reason: 'is empty' };
  let split: string[];
  try {
    split = splitCommandLine(script);
  } catch (error) {
    return { reason: `does not split: ${(error as Error).message}` };
  }
  if (JSON.stringify(split) !== JSON.stringify(words))
    return { reason: 'splits into other words than sh would make of it' };
  return words;
}

/** What sh takes as it is outside quotes; anything else (`$ * ? [ ~ # { ! ; & | < > ( ) \ \``...) it may not. */
const PLAIN = /^[A-Za-z0-9_\-./,:@%+=^\u0080-\uffff]$/;

/** sh's (dash's and bash's) reserved words and builtins: sh would not run a program of that name. */
const SHELL_WORDS = new Set(
  (
    '! { } case do done elif else esac fi for function if in select then time until while [[ ]] ' +
    '. : [ alias bg break builtin caller cd chdir command compgen complete continue declare dirs disown echo ' +
    'enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile popd ' +
    'printf pushd pwd read readarray readonly return set shift shopt source suspend test times trap true type ' +
    'typeset ulimit umask unalias unset wait'
  ).split(' '),
);

const PACKAGE_MANAGERS = new Set(['npm', 'npx', 'yarn', 'yarnpkg', 'pnpm', 'pnpx', 'corepack']);

/** Whether execve runs this file itself: a `#!` line or an ELF binary (sh would run any other file as a script). */
function startsAsProgram(file: string): boolean {
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const read = readSync(fd, head, 0, 4, 0);
    return (read >= 2 && head.toString('latin1', 0, 2) === '#!') || (read === 4 && head.equals(ELF));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
