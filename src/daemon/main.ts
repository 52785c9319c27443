// Owns the herdd process: command line (--data-dir), logging to stderr, the pid file, signal
// handling (SIGTERM/SIGINT stop cleanly), and the exit status. Everything else is Herdd.

import { writeFileSync, rmSync } from 'node:fs';
import { Command } from 'commander';
import { Herdd } from './herdd.js';
import { dataPaths, defaultDataDir } from './paths.js';

const program = new Command('herdd')
  .description('The Herd daemon: runs on every node of a Herd cluster')
  .option('--data-dir <dir>', 'node data directory (made by herd init / herd join)', defaultDataDir())
  .showHelpAfterError();
program.parse();
const options = program.opts<{ dataDir: string }>();

let nodeName = '-';
const log = (msg: string): void => {
  process.stderr.write(`${new Date().toISOString()} herdd[${process.pid}] ${nodeName}: ${msg}\n`);
};

const paths = dataPaths(options.dataDir);
let herdd: Herdd | undefined;
let requestedExit: number | undefined;
let exiting = false;
const exit = async (code: number): Promise<void> => {
  if (herdd === undefined) {
    // Asked to exit while still starting (its etcd died): finish starting, then exit.
    requestedExit ??= code;
    return;
  }
  if (exiting) return;
  exiting = true;
  await herdd.stop();
  rmSync(paths.pidFile, { force: true });
  log('stopped');
  process.exit(code);
};
process.on('SIGTERM', () => void exit(0));
process.on('SIGINT', () => void exit(0));

const started = await Herdd.start(options.dataDir, log, (code) => void exit(code));
if (!started.ok) {
  log(`cannot start: ${started.error.message}${started.error.field ? ` (${started.error.field})` : ''}`);
  process.exit(2);
}
herdd = started.value;
nodeName = herdd.config.node;
writeFileSync(paths.pidFile, `${process.pid}\n`);
if (requestedExit !== undefined) await exit(requestedExit);
