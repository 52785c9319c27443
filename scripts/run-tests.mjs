#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's test runner. Node 20's
// `--test` takes no globs, so this script finds the files. Unit tests (next to the code under
// src/) run first and in parallel; integration tests (test/) run one file at a time, since they
// start real etcd and herdd processes and the machine has two cores.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

const only = process.argv.slice(2);
const files = [...find('dist/src'), ...find('dist/test')].filter(
  (f) => only.length === 0 || only.some((o) => f.includes(o)),
);
// The spec report goes to the terminal; a TAP copy goes to a file, from which the closing
// 'N passed, N failed' line is taken (a summary any CI reads).
const tapDir = mkdtempSync(join(tmpdir(), 'herd-tap-'));
const tapFile = join(tapDir, 'report.tap');
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps', '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
let tap = '';
try {
  tap = readFileSync(tapFile, 'utf8');
} catch {
  // No report: the runner itself failed; its status says so below.
}
rmSync(tapDir, { recursive: true, force: true });
const count = (name) => {
  const m = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap);
  return m ? Number(m[1]) : 0;
};
const passed = count('pass');
const failed = count('fail') + count('cancelled');
const skipped = count('skipped');
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(result.status ?? 1);
