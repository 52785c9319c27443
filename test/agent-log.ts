// Owns the at-most-one checker of the integration tests: it reads the action log that
// pacemaker/Dummy writes with its `envfile` parameter (one "### ACTION @ DATE ###" block per
// action, with the agent's environment naming the resource and node), plus the lines the test
// fence agent ("### fence NODE ###") and the tests ("### crash NODE ###") append to the same
// file, and reports every moment a resource was started while it was active on another node.
// A fenced or crashed node runs nothing from then on (its power is off).

export type AgentEvent =
  | { readonly kind: 'fence' | 'crash'; readonly node: string; readonly line: number }
  | { readonly kind: string; readonly rsc: string; readonly node: string; readonly line: number };

export function parseAgentLog(text: string): AgentEvent[] {
  const lines = text.split('\n');
  const events: AgentEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const power = /^### (fence|crash) (\S+) ###$/.exec(line);
    if (power) {
      events.push({ kind: power[1] as 'fence' | 'crash', node: power[2] ?? '', line: i + 1 });
      continue;
    }
    const action = /^### (\S+) @ .* ###$/.exec(line);
    if (!action) continue;
    const env = new Map<string, string>();
    let j = i + 1;
    for (; j < lines.length && lines[j] !== '###'; j++) {
      const l = lines[j] ?? '';
      const eq = l.indexOf('=');
      if (eq > 0) env.set(l.slice(0, eq), l.slice(eq + 1));
    }
    events.push({ kind: action[1] ?? '', rsc: env.get('OCF_RESOURCE_INSTANCE') ?? '?', node: env.get('OCF_RESKEY_CRM_meta_on_node') ?? '?', line: i + 1 });
    i = j;
  }
  return events;
}

/** Every start of a resource that was still active on another node; empty when the log is safe. */
export function checkAtMostOne(events: readonly AgentEvent[]): string[] {
  const active = new Map<string, Set<string>>();
  const violations: string[] = [];
  for (const e of events) {
    if (e.kind === 'fence' || e.kind === 'crash') {
      for (const nodes of active.values()) nodes.delete(e.node);
      continue;
    }
    if (!('rsc' in e)) continue;
    const nodes = active.get(e.rsc) ?? new Set<string>();
    active.set(e.rsc, nodes);
    if (e.kind === 'start') {
      const others = [...nodes].filter((n) => n !== e.node);
      if (others.length > 0) violations.push(`line ${e.line}: ${e.rsc} started on ${e.node} while active on ${others.join(', ')}`);
      nodes.add(e.node);
    } else if (e.kind === 'stop') {
      nodes.delete(e.node);
    }
  }
  return violations;
}
