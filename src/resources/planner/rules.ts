// Owns rule evaluation for location constraints: node-attribute expressions (string, integer,
// number and version comparisons; defined/not_defined), nested rules with and/or, and date
// expressions against the planner's `now`. Pure.

import type { Expression, Rule } from '../model.js';
import type { PNode, Rsc } from './working-set.js';

export interface RuleContext {
  readonly node: PNode;
  readonly rsc: Rsc | undefined;
  readonly nowS: number;
}

export function evaluateRule(rule: Rule, ctx: RuleContext): boolean {
  if (rule.expressions.length === 0) return false;
  const results = rule.expressions.map((e) => evaluateExpression(e, ctx));
  return rule.booleanOp === 'or' ? results.some(Boolean) : results.every(Boolean);
}

function evaluateExpression(e: Expression, ctx: RuleContext): boolean {
  switch (e.kind) {
    case 'rule': return evaluateRule(e.rule, ctx);
    case 'date': return evaluateDate(e, ctx.nowS);
    case 'attribute': return evaluateAttribute(e, ctx);
  }
}

function evaluateAttribute(e: Extract<Expression, { kind: 'attribute' }>, ctx: RuleContext): boolean {
  const actual = ctx.node.attributes.get(e.attribute);
  if (e.operation === 'defined') return actual !== undefined;
  if (e.operation === 'not_defined') return actual === undefined;
  let expected = e.value;
  if (e.valueSource !== 'literal' && expected !== undefined && ctx.rsc) {
    expected = e.valueSource === 'param' ? ctx.rsc.params[expected] : ctx.rsc.meta.get(expected);
  }
  if (actual === undefined || expected === undefined) return e.operation === 'ne' && actual !== expected;
  const comparison = compareValues(actual, expected, typeFor(e, actual, expected));
  if (comparison === undefined) return false;
  switch (e.operation) {
    case 'eq': return comparison === 0;
    case 'ne': return comparison !== 0;
    case 'lt': return comparison < 0;
    case 'lte': return comparison <= 0;
    case 'gt': return comparison > 0;
    case 'gte': return comparison >= 0;
  }
}

function typeFor(e: Extract<Expression, { kind: 'attribute' }>, actual: string, expected: string): string {
  if (e.type !== 'string' || !['lt', 'lte', 'gt', 'gte'].includes(e.operation)) return e.type;
  return actual.includes('.') || expected.includes('.') ? 'number' : 'integer';
}

function compareValues(a: string, b: string, type: string): number | undefined {
  switch (type) {
    case 'integer': case 'number': {
      // Like strtoll/strtod: the leading number counts ("3.4" is the integer 3); a value
      // without one makes Pacemaker compare both as strings.
      const parse = (v: string): number => (type === 'integer' ? (/^\s*[+-]?\d+/.test(v) ? parseInt(v, 10) : NaN) : parseFloat(v));
      const x = parse(a);
      const y = parse(b);
      if (Number.isNaN(x) || Number.isNaN(y)) return compareValues(a, b, 'string');
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'version': {
      const xs = a.split('.').map(Number);
      const ys = b.split('.').map(Number);
      for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
        const d = (xs[i] ?? 0) - (ys[i] ?? 0);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      return 0;
    }
    default: return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
  }
}

function evaluateDate(e: Extract<Expression, { kind: 'date' }>, nowS: number): boolean {
  const start = e.start === undefined ? undefined : Date.parse(e.start) / 1000;
  const end = e.end === undefined ? undefined : Date.parse(e.end) / 1000;
  switch (e.operation) {
    case 'gt': return start !== undefined && nowS > start;
    case 'lt': return end !== undefined && nowS < end;
    case 'in_range': return (start === undefined || nowS >= start) && (end === undefined || nowS <= end);
    default: return false;
  }
}
