// Benchmark: planner time for a large cluster (goal: under 1 s for 1,000 nodes and 10,000
// resources), side by side with Pacemaker's own scheduler (crm_simulate from Debian's
// pacemaker-cli-utils) on the very same CIB.
//
//   node --enable-source-maps dist/bench/planner-scale.js [--nodes 1000] [--resources 10000] [--runs 3]
//
// The generated CIB has `--nodes` nodes and `--resources` primitive instances: 70% plain
// pacemaker/Dummy primitives, 20% in groups of four, 10% as one anonymous clone (one instance
// per node, capped at the node count), plus a location preference per primitive, a colocation
// and an order for every tenth one. Startup probes are off (enable-startup-probes=false) so
// neither scheduler plans 10 million probes. Three scenarios:
//   start-all  nothing runs yet: every resource is placed and started;
//   steady     everything runs where it was placed: nothing to do;
//   node-loss  one node is lost (fence device present): it is fenced and its resources recovered.
// Each is timed as Herd's planning call in-process (`plan()`, the coordinator's work; parsing
// the CIB XML is timed apart, since the coordinator builds its input from records) and as a
// whole command (`herd resource simulate --cib` and `crm_simulate -R -x`, which plans without
// executing, process start and XML parsing included).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCib } from '../src/resources/cib.js';
import { plan } from '../src/resources/planner/plan.js';
import { cliMain } from '../test/harness.js';
import { loadLine, machineLine, median, ms, numberFlag, onCleanup, parseFlags, runBench } from './common.js';

interface Shape { readonly nodes: number; readonly primitives: number; readonly groups: number; readonly cloneMax: number }

function shapeOf(nodes: number, resources: number): Shape {
  const cloneMax = Math.min(nodes, Math.floor(resources * 0.1));
  const groups = Math.floor((resources * 0.2) / 4);
  return { nodes, cloneMax, groups, primitives: resources - cloneMax - groups * 4 };
}

const nodeName = (i: number): string => `node${i + 1}`;
/** Pacemaker's digest of an operation that ran without parameters (an md5 of the empty parameter element). */
const noParamsDigest = createHash('md5').update(' <parameters/>\n').digest('hex');
const dummy = (id: string): string =>
  `<primitive id="${id}" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="${id}-monitor" name="monitor" interval="10s"/></operations></primitive>`;
const started = (id: string, call: number): string =>
  `<lrm_resource id="${id}" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="${id}_last_0" operation_key="${id}_start_0" operation="start" crm-debug-origin="bench" crm_feature_set="3.16.2" transition-key="1:1:0:bench" transition-magic="0:0;1:1:0:bench" exit-reason="" on_node="x" call-id="${call}" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" exec-time="10" queue-time="0" op-digest="${noParamsDigest}"/></lrm_resource>`;

/** The CIB of one scenario; `running` places resource i on node i mod nodes (what start-all would choose is not assumed). */
function cib(shape: Shape, scenario: 'start-all' | 'steady' | 'node-loss'): string {
  const { nodes } = shape;
  const resources: string[] = [];
  const constraints: string[] = [];
  const placement = new Map<number, string[]>();
  const place = (node: number, id: string): void => { placement.set(node, [...(placement.get(node) ?? []), id]); };
  for (let i = 0; i < shape.primitives; i++) {
    const id = `rsc${i + 1}`;
    resources.push(dummy(id));
    constraints.push(`<rsc_location id="loc-${id}" rsc="${id}" node="${nodeName(i % nodes)}" score="${50 + (i % 7)}"/>`);
    if (i % 10 === 9) {
      constraints.push(`<rsc_colocation id="col-${id}" rsc="${id}" with-rsc="rsc${i}" score="INFINITY"/>`);
      constraints.push(`<rsc_order id="ord-${id}" first="rsc${i}" then="${id}" kind="Mandatory"/>`);
      place((i - 1) % nodes, id);
    } else {
      place(i % nodes, id);
    }
  }
  for (let g = 0; g < shape.groups; g++) {
    const members = [0, 1, 2, 3].map((m) => `grp${g + 1}-m${m + 1}`);
    resources.push(`<group id="grp${g + 1}">${members.map(dummy).join('')}</group>`);
    constraints.push(`<rsc_location id="loc-grp${g + 1}" rsc="grp${g + 1}" node="${nodeName((g * 3) % nodes)}" score="100"/>`);
    for (const m of members) place((g * 3) % nodes, m);
  }
  if (shape.cloneMax > 0) {
    resources.push(`<clone id="base-clone"><meta_attributes id="base-clone-meta"><nvpair id="base-clone-max" name="clone-max" value="${shape.cloneMax}"/></meta_attributes>${dummy('base')}</clone>`);
    for (let n = 0; n < shape.cloneMax; n++) place(n, 'base');
  }
  resources.push(`<primitive id="fencing" class="stonith" type="fence_dummy"/>`);
  place(0, 'fencing');
  const lost = scenario === 'node-loss' ? nodes - 1 : -1;
  const states: string[] = [];
  for (let n = 0; n < nodes; n++) {
    const name = nodeName(n);
    const up = n !== lost;
    const lrm = scenario === 'start-all' ? '' : (placement.get(n) ?? []).map((id, k) => started(id, k + 2)).join('').replaceAll('on_node="x"', `on_node="${name}"`);
    states.push(`<node_state id="${n + 1}" uname="${name}" in_ccm="${up}" crmd="${up ? 'online' : 'offline'}" crm-debug-origin="bench" join="${up ? 'member' : 'down'}" expected="member"><lrm id="${n + 1}"><lrm_resources>${lrm}</lrm_resources></lrm></node_state>`);
  }
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1" execution-date="1700000100">
<configuration><crm_config><cluster_property_set id="opts">
<nvpair id="o1" name="stonith-enabled" value="true"/><nvpair id="o2" name="enable-startup-probes" value="false"/>
</cluster_property_set></crm_config>
<rsc_defaults><meta_attributes id="rsc-defaults"><nvpair id="d1" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
<nodes>${Array.from({ length: nodes }, (_, n) => `<node id="${n + 1}" uname="${nodeName(n)}"/>`).join('')}</nodes>
<resources>${resources.join('\n')}</resources>
<constraints>${constraints.join('\n')}</constraints>
</configuration>
<status>${states.join('\n')}</status>
</cib>`;
}

function timeCommand(command: string, args: readonly string[]): { ms: number; ok: boolean; lines: number } {
  const t0 = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 256 * 1024 * 1024 });
  const elapsed = performance.now() - t0;
  const summary = (r.stdout ?? '').split('Transition Summary:')[1] ?? '';
  return { ms: elapsed, ok: r.status === 0, lines: summary.split('\n').filter((l) => /^\s+\* /.test(l)).length };
}

runBench('planner-scale', async () => {
  const flags = parseFlags(['nodes', 'resources', 'runs']);
  const nodes = numberFlag(flags, 'nodes', 1000, 1, 10_000);
  const total = numberFlag(flags, 'resources', 10_000, 1, 100_000);
  const runs = numberFlag(flags, 'runs', 3, 1, 20);
  console.log(await machineLine());
  const shape = shapeOf(nodes, total);
  console.log(`cluster: ${nodes} nodes; ${total} resource instances (${shape.primitives} primitives, ${shape.groups} groups of 4, a clone of ${shape.cloneMax}), ${shape.primitives + shape.groups} constraints-bearing resources`);
  const dir = mkdtempSync(join(tmpdir(), 'herd-planner-bench-'));
  onCleanup('bench files', () => rmSync(dir, { recursive: true, force: true }));
  const crm = spawnSync('crm_simulate', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!crm) console.log('crm_simulate is not installed (Debian pacemaker-cli-utils; npm run setup installs it as root): Pacemaker column skipped');
  for (const scenario of ['start-all', 'steady', 'node-loss'] as const) {
    const xml = cib(shape, scenario);
    const file = join(dir, `${scenario}.xml`);
    writeFileSync(file, xml);
    if (process.env['HERD_BENCH_KEEP']) writeFileSync(join(tmpdir(), `herd-planner-${scenario}.xml`), xml);
    // The planner's own time: the coordinator builds its input from records, never from XML.
    const planning: number[] = [];
    const parsing: number[] = [];
    let actions = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const parsed = parseCib(xml);
      if (!parsed.ok) throw new Error(`generated CIB does not parse: ${parsed.error.message}`);
      const t1 = performance.now();
      const t = plan(parsed.value, 1_700_000_100);
      planning.push(performance.now() - t1);
      parsing.push(t1 - t0);
      actions = t.summary.length;
    }
    const herdCli: number[] = [];
    const pcmk: number[] = [];
    let pcmkLines = 0;
    for (let r = 0; r < runs; r++) {
      herdCli.push(timeCommand(process.execPath, [cliMain, 'resource', 'simulate', '--cib', file]).ms);
      if (crm) {
        const c = timeCommand('crm_simulate', ['-R', '-x', file]);
        if (c.ok) pcmk.push(c.ms);
        pcmkLines = c.lines;
      }
    }
    const herdMs = median(herdCli);
    const pcmkMs = median(pcmk);
    console.log(`planner ${scenario}: Herd plan() ${ms(median(planning))} ms (goal < 1000 ms; CIB parse ${ms(median(parsing))} ms more), ${actions} summary lines; ` +
      `herd resource simulate ${ms(herdMs)} ms; crm_simulate ${crm ? `${ms(pcmkMs)} ms, ${pcmkLines} summary lines; ratio Herd/Pacemaker ${(herdMs / pcmkMs).toFixed(2)}x` : 'n/a'} (median of ${runs})`);
  }
  console.log(loadLine());
});
