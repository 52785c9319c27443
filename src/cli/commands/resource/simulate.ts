// `herd resource simulate --cib FILE.xml [--now TIME]` or `--input pe-input-N.json`: runs the
// planner offline on a Pacemaker CIB (configuration and status) or on an input the coordinator
// saved, and prints the transition summary in crm_simulate's format.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, globalsOf } from '../../command.js';
import { fail, printJson } from '../../output.js';
import { parseCib } from '../../../resources/cib.js';
import { parseSavedInput } from '../../../resources/saved-input.js';
import type { PlannerInput } from '../../../resources/model.js';
import { plan } from '../../../resources/planner/plan.js';

/** Parses crm_simulate's -t forms: "2014-05-07 00:28:00", ISO dates, ordinal dates "2005-020T11:30". */
export function parseNow(text: string): number | undefined {
  const ordinal = /^(\d{4})-(\d{3})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (ordinal) {
    const start = Date.UTC(Number(ordinal[1]), 0, 1) / 1000;
    return start + (Number(ordinal[2]) - 1) * 86400 + Number(ordinal[3] ?? 0) * 3600 + Number(ordinal[4] ?? 0) * 60 + Number(ordinal[5] ?? 0);
  }
  const normalised = text.trim().replace(' ', 'T');
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(normalised) ? normalised : `${normalised}Z`);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

export function register(resource: Command): void {
  resource
    .command('simulate')
    .description('Plan offline from a Pacemaker CIB or a saved planner input and print the transition summary (like crm_simulate -S)')
    .option('--cib <file>', 'CIB XML with configuration and status sections')
    .option('--input <file>', 'a planner input the coordinator saved (<data dir>/pe-inputs/pe-input-N.json)')
    .option('--now <time>', 'the effective time, e.g. "2014-05-07 00:28:00" (default: the input\'s own, else now)')
    .action(action(async (o: { cib?: string; input?: string; now?: string }, cmd: Command) => {
      await Promise.resolve();
      const g = globalsOf(cmd);
      if ((o.cib === undefined) === (o.input === undefined)) fail({ code: 'invalid', field: 'cib', message: 'give exactly one of --cib FILE.xml and --input FILE.json' }, 2);
      const file = o.cib ?? o.input ?? '';
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        fail({ code: 'unreadable', field: o.cib === undefined ? 'input' : 'cib', message: `cannot read ${file}: ${(e as Error).message}` });
      }
      let nowS: number | undefined;
      if (o.now !== undefined && o.now !== '') {
        nowS = parseNow(o.now);
        if (nowS === undefined) fail({ code: 'invalid', field: 'now', message: `--now must be a time such as "2014-05-07 00:28:00" or 2005-020T11:30, got "${o.now}"` }, 2);
      }
      let input: PlannerInput;
      if (o.cib !== undefined) {
        const parsed = parseCib(text);
        if (!parsed.ok) fail(parsed.error);
        input = parsed.value;
      } else {
        const saved = parseSavedInput(text);
        if (!saved.ok) fail(saved.error);
        input = saved.value.input;
        nowS ??= saved.value.nowS;
      }
      // Like crm_simulate: the CIB's execution-date when it has one, else the current time.
      nowS ??= input.status.executionDateS ?? Math.floor(Date.now() / 1000);
      const transition = plan(input, nowS);
      if (g.json) {
        printJson({ summary: transition.summary.map((l) => l.text) });
        return;
      }
      process.stdout.write('Transition Summary:\n');
      for (const line of transition.summary) process.stdout.write(`  * ${line.text}\n`);
    }));
}
