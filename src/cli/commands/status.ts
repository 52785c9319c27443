// `herd status`: a crm_mon-like overview of the cluster.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { ago, must, printJson, table } from '../output.js';
import type { StatusView } from '../../api/types.js';

export function renderStatus(s: StatusView): string {
  const c = s.coordinator;
  const lines = [
    `Cluster:     ${s.cluster}`,
    `Coordinator: ${c ? `${c.node} (since ${ago(c.sinceMs)} ago, fencing token ${c.token})` : 'NONE'}`,
    `Quorum:      ${s.quorum.hasQuorum ? 'yes' : 'NO'} (${s.quorum.votersUp} of ${s.quorum.voters} voters up)`,
    `Answered by: ${s.answeredBy}`,
    '',
    `Nodes (${s.nodes.length}):`,
    table(
      ['NAME', 'ROLE', 'STATE', 'FOR', 'API', 'LABELS', 'NOTE'],
      s.nodes.map((n) => [
        n.name + (n.coordinator ? '*' : ''),
        n.role,
        n.state,
        ago(n.stateSinceMs),
        n.apiAddress,
        Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
        n.state === 'online' ? '' : n.reason,
      ]),
    ),
  ];
  for (const w of s.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('status')
    .description('Cluster overview: coordinator, quorum, nodes and their states (like crm_mon)')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const s = must(await connect(g).client.status());
      if (g.json) printJson(s);
      else process.stdout.write(`${renderStatus(s)}\n`);
    }));
}
