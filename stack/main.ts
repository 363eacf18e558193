/**
 * `npm start`: the whole product on its embedded default. Ctrl-C stops it in order; a second Ctrl-C
 * (a moment later) kills what is left.
 */
import path from 'node:path';
import { localAdminAllowed } from '../web/server/auth/loopback.js';
import { loadConfig } from '../runtime/config.js';
import { claimDataDir } from '../runtime/data-dir.js';
import { LocalStack, type ReadyInfo } from './local-stack.js';
import { LogSink } from '../runtime/log-sink.js';
import { RunLock } from './run-lock.js';
import { runMain } from '../runtime/run-main.js';
import { announceSandbox } from '../runtime/sandbox.js';

/** npm forwards the terminal's Ctrl-C to us too: signals this close together count as one. */
const REPEAT_SIGNAL_WINDOW_MS = 1_500;

runMain(async () => {
  // Every file the stack and its children write (data folder, clones, logs) is the user's alone. Not
  // as root: PostgreSQL then runs as its own user and must read what its initialisation writes (the
  // data folder is still tightened by claimDataDir, and clones are made private as they are made).
  if (process.getuid?.() !== 0) process.umask(0o077);
  const config = loadConfig();
  const layout = claimDataDir(config.dataDir);
  const sink = await LogSink.open(path.join(layout.logs, 'maestro.log'), process.env, process.stdout.isTTY === true);
  const log = sink.logger('stack', config.logLevel);
  for (const warning of config.warnings) log.warn(warning);
  announceSandbox(log, config.sandbox);

  const lock = await RunLock.acquire(layout.runFile, config.dataDir, log);
  const stack = new LocalStack(config, layout, log, sink, lock);

  let firstSignalAt: number | undefined;
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt === undefined) {
        firstSignalAt = Date.now();
        log.info({ signal }, 'stopping Maestro (a second Ctrl-C, a moment later, kills everything at once)');
        resolve(signal);
      } else if (Date.now() - firstSignalAt > REPEAT_SIGNAL_WINDOW_MS) {
        log.warn({ signal }, 'killing every Maestro process now');
        stack.forceStop();
        lock.release();
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  });

  const starting = stack.start();
  starting.catch(() => undefined); // a stop during start makes start() fail; that is expected
  const lost = stack.infrastructureLost.then((reason) => `failure: ${reason}`);
  let exitReason: string;
  try {
    const first = await Promise.race([starting, stopRequested, lost]);
    if (typeof first === 'string') {
      exitReason = first;
    } else {
      announce(first, log, process.stdout.isTTY === true, localAdminAllowed(config.api));
      exitReason = await Promise.race([stopRequested, lost]);
    }
  } catch (error) {
    await stack.stop();
    throw error;
  }
  await stack.stop();
  log.info({ reason: exitReason }, 'Maestro stopped');
  if (exitReason.startsWith('failure:')) process.exitCode = 1;
});

function announce(ready: ReadyInfo, log: ReturnType<LogSink['logger']>, tty: boolean, localAdmin: boolean) {
  log.info(ready, 'Maestro is ready');
  const signIn = ready.firstAdmin ? signInHint(ready.consoleUrl, ready.firstAdmin) : undefined;
  if (signIn) log.info({ user: ready.firstAdmin!.name, passwordFile: ready.firstAdmin!.passwordFile }, signIn);
  if (!tty) return;
  const lines = [
    '',
    '  Maestro is ready.',
    `    Console       ${ready.consoleUrl}`,
    `    Temporal UI   ${ready.temporalUiUrl ?? '(not started: the cluster at TEMPORAL_ADDRESS has its own)'}`,
    `    Temporal      ${ready.temporalAddress}`,
    `    Data          ${ready.dataDir}`,
    ...(ready.demo
      ? [
          '',
          '  Demo mode: no model is configured, so a scripted model plays the agents on a sample project.',
          '  Set MAESTRO_MODEL_BASE_URL (an OpenAI-compatible endpoint) or OPENAI_API_KEY to use a real one.',
        ]
      : []),
    ...(signIn ? ['', `  ${signIn}`] : []),
    ...(localAdmin
      ? ['  On this machine the console also works without signing in, as the local admin.']
      : ['  Every request must sign in: the API listens beyond this machine (or MAESTRO_AUTH=required).']),
    '  Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The first password is in a file only its owner can read; never in the log. */
function signInHint(consoleUrl: string, admin: NonNullable<ReadyInfo['firstAdmin']>): string {
  return `Sign in at ${consoleUrl} as ${admin.name}; the first password is in ${admin.passwordFile}; change it on the Account page.`;
}
