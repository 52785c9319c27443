// `herd resource scores`: allocation scores as the planner computes them now (crm_simulate -s).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(resource: Command): void {
  resource
    .command('scores')
    .description('Allocation scores of every resource on every node, as the planner sees the cluster now (crm_simulate -s)')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.resourceScores());
      if (g.json) return printJson(r);
      process.stdout.write(['Allocation scores:', ...r.lines, ...r.warnings.map((w) => `WARNING: ${w}`)].join('\n') + '\n');
    }));
}
