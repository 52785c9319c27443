// `herd fence test ID`: runs the device's monitor action on the answering node (stonith_admin --query-like check).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';

export function register(fence: Command): void {
  fence
    .command('test <id>')
    .description('Check that a fence device answers (its monitor action); exits 1 when it does not')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.testFenceDevice(id));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.device}: ${r.ok ? 'OK' : 'FAILED'} (rc ${r.rc ?? 'none'}) ${r.message}\n`);
      if (!r.ok && !g.json) fail({ code: 'device_failed', message: `fence device ${id} failed its monitor` });
    }));
}
