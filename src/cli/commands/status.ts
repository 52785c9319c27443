// `herd status`: a crm_mon-like overview of the cluster.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { ago, must, printJson, table } from '../output.js';
import type { ResourcesView, StatusView } from '../../api/types.js';
import type { Failure } from '../../core/result.js';
import { renderResources } from './resource/render.js';

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

/** crm_mon's resource section: every resource, its agent, state and node; failed actions after. */
export function resourcesSection(r: ResourcesView | Failure): string {
  if ('code' in r) return `Resources: unavailable (${r.message})`;
  const count = r.config.resources.length;
  return `Resources (${count}):\n${renderResources(r)}`;
}

export function register(program: Command): void {
  program
    .command('status')
    .description('Cluster overview: coordinator, quorum, nodes and their states (like crm_mon)')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const { client } = connect(g);
      const s = must(await client.status());
      const resources = await client.resources();
      if (g.json) return printJson({ ...s, resources: resources.ok ? resources.value : null });
      process.stdout.write(`${renderStatus(s)}\n\n${resourcesSection(resources.ok ? resources.value : resources.error)}\n`);
    }));
}
