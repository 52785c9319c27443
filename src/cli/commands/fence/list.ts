// `herd fence list`: fence devices with their parameters, state and the fencing levels.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson, table } from '../../output.js';
import { stateText } from '../../../resources/state.js';

export function register(fence: Command): void {
  fence
    .command('list')
    .alias('ls')
    .description('List fence devices and fencing levels')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.fenceDevices());
      if (g.json) return printJson(r);
      const lines = [r.devices.length === 0 ? 'No fence devices' : table(['DEVICE', 'AGENT', 'STATE', 'PARAMS'], r.devices.map((d) => [
        d.id, d.agent, d.state === null ? '?' : stateText(d.state), Object.entries(d.params).map(([k, v]) => `${k}=${v}`).join(' ') || '-',
      ]))];
      if (r.fencingLevels.length > 0) {
        lines.push('', 'Fencing levels:', table(['TARGET', 'LEVEL', 'DEVICES'], r.fencingLevels.map((l) => [l.target, String(l.index), l.devices.join(',')])));
      }
      for (const w of r.warnings) lines.push(`WARNING: ${w}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }));
}
