#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's test runner. Node 20's
// `--test` takes no globs, so this script finds the files. Unit tests (next to the code under
// src/) run first and in parallel; integration tests (test/) run one file at a time, since they
// start real etcd and herdd processes and the machine has two cores.
import { readdirSync, statSync } from 'node:fs';
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
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
