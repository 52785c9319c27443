// `herd resource show ID`: one resource's configuration, constraints, state and failures.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';
import type { Attributes } from '../../../resources/model.js';
import { stateText } from '../../../resources/state.js';
import { agentOf, constraintText, failureLines } from './render.js';

const attributesText = (a: Attributes): string => Object.entries(a).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
const seconds = (ms: number): string => `${ms / 1000}s`;

export function register(resource: Command): void {
  resource
    .command('show <id>')
    .description('Show one resource: agent, parameters, meta, operations, constraints, state and failed actions')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const v = must(await connect(g).client.resource(id));
      if (g.json) return printJson(v);
      const c = v.config;
      const lines = [`Resource: ${v.id} (${agentOf(c)})${v.parent === null ? '' : ` in ${v.parent}`}`];
      if (c.kind === 'primitive') {
        lines.push(`  Params:     ${attributesText(c.params)}`);
        lines.push(`  Meta:       ${attributesText(c.meta)}`);
        lines.push('  Operations:', ...c.operations.map((op) => `    ${op.name} interval=${seconds(op.intervalMs)}${op.timeoutMs === undefined ? '' : ` timeout=${seconds(op.timeoutMs)}`}${op.role === undefined ? '' : ` role=${op.role}`}${op.onFail === undefined ? '' : ` on-fail=${op.onFail}`} (${op.id})`));
      } else {
        lines.push(`  Meta:       ${attributesText(c.meta)}`);
        lines.push(`  Members:    ${c.kind === 'group' ? c.children.map((x) => x.id).join(' ') : c.child.id}`);
      }
      lines.push(`  State:      ${v.state === null ? 'unknown' : stateText(v.state)}`);
      if (v.state && v.state.failCounts.length > 0) lines.push(`  Fail counts: ${v.state.failCounts.map((f) => `${f.node}=${f.count}`).join(' ')}`);
      if (v.constraints.length > 0) lines.push('  Constraints:', ...v.constraints.map((x) => `    ${x.id}: ${constraintText(x)}`));
      if (v.failures.length > 0) lines.push('  Failed actions:', ...failureLines(v.failures).map((l) => `    ${l}`));
      for (const w of v.warnings) lines.push(`WARNING: ${w}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }));
}
