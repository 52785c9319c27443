// `herd events [-f] [-n N]`: the cluster event log; -f follows it live over the watch stream.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { fail, must, printJson } from '../output.js';
import type { EventView } from '../../api/types.js';

const line = (e: EventView): string => `${new Date(e.atMs).toISOString()}  ${e.severity.padEnd(7)}  ${e.kind.padEnd(14)}  ${e.message}`;

export function register(program: Command): void {
  program
    .command('events')
    .description('Show the cluster event log; -f follows new events as they happen')
    .option('-f, --follow', 'keep printing new events')
    .option('-n, --lines <n>', 'how many past events to show', '50')
    .action(action(async (o: { follow?: boolean; lines: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const n = Number(o.lines);
      if (!Number.isInteger(n) || n < 0 || n > 1000) fail({ code: 'invalid', field: 'lines', message: `--lines must be a whole number 0-1000, not "${o.lines}"` }, 2);
      const { client } = connect(g);
      const past = must(await client.events(undefined, n));
      for (const e of past.events) g.json ? process.stdout.write(`${JSON.stringify(e)}\n`) : process.stdout.write(`${line(e)}\n`);
      if (!o.follow) {
        if (g.json && past.events.length === 0) printJson([]);
        return;
      }
      const seen = new Set(past.events.map((e) => e.id));
      await new Promise<void>((resolve) => {
        const stop = client.watch(
          (m) => {
            if (m.type !== 'event' || seen.has(m.event.id)) return;
            process.stdout.write(g.json ? `${JSON.stringify(m.event)}\n` : `${line(m.event)}\n`);
          },
          (f) => {
            if (f) process.stderr.write(`herd: watch ended: ${f.message}\n`);
            process.exitCode = f ? 1 : 0;
            resolve();
          },
        );
        process.once('SIGINT', () => {
          stop();
          resolve();
        });
      });
    }));
}
