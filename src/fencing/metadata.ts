// Owns what the fencer reads from agents' output (pure): the `metadata` XML of the fence-agents
// API (parameters with name, required, type, default; supported actions), the `list` output
// (lines "port,alias" or "port"), and the check of a device's parameters against the metadata.
//
// Inputs: agent output text, which may be anything (agents misbehave). Outputs: values or a
// Failure; nothing here throws on bad input. Invariant: pcmk_* parameters are always allowed,
// since they are the fencer's, not the agent's.

import { DOMParser, type Element } from '@xmldom/xmldom';
import { err, failure, ok, type Failure, type Result } from '../core/result.js';
import { fencingLimits } from './limits.js';

export interface AgentParameter {
  readonly name: string;
  readonly required: boolean;
  /** The content type: string, boolean, integer, second, select, ... */
  readonly type: string;
  readonly default?: string;
  /** The allowed values of a `select` parameter. */
  readonly options: readonly string[];
  readonly deprecated: boolean;
}

export interface AgentMetadata {
  /** The resource-agent name, e.g. fence_ipmilan. */
  readonly name: string;
  readonly shortDescription: string;
  readonly parameters: readonly AgentParameter[];
  /** Action names the agent declares: on, off, reboot, status, monitor, list, metadata, ... */
  readonly actions: readonly string[];
}

export interface ListEntry {
  readonly port: string;
  readonly alias?: string;
}

/** Parameters the fencer supplies itself, so metadata marking them required asks nothing of the device. */
const suppliedByFencer = new Set(['action', 'option', 'nodename', 'port', 'plug']);
const booleanValues = new Set(['0', '1', 'true', 'false', 'yes', 'no', 'on', 'off']);

function parseXml(xml: string): Result<Element, Failure> {
  const problems: string[] = [];
  try {
    const parser = new DOMParser({ onError: (level, message) => { if (level !== 'warning') problems.push(message); } });
    const root = parser.parseFromString(xml, 'text/xml').documentElement;
    if (problems.length > 0 || root === null) return err(failure('bad_metadata', `metadata is not well-formed XML: ${problems[0] ?? 'no root element'}`));
    return ok(root);
  } catch (cause) {
    // xmldom throws ParseError on fatal errors; garbage from an agent is an expected failure.
    return err(failure('bad_metadata', `metadata is not well-formed XML: ${cause instanceof Error ? cause.message : String(cause)}`));
  }
}

function childElements(parent: Element, tagName: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE && node.nodeName === tagName) out.push(node as Element);
  }
  return out;
}

function firstChild(parent: Element, tagName: string): Element | undefined {
  return childElements(parent, tagName)[0];
}

function parseParameter(element: Element, index: number): Result<AgentParameter, Failure> {
  const name = element.getAttribute('name') ?? '';
  if (name.length === 0) return err(failure('bad_metadata', `parameter ${index + 1} has no name`));
  const content = firstChild(element, 'content');
  const defaultValue = content?.getAttribute('default') ?? null;
  const options = content === undefined ? [] : childElements(content, 'option').map((o) => o.getAttribute('value') ?? '');
  const parameter = {
    name,
    required: element.getAttribute('required') === '1',
    type: content?.getAttribute('type') ?? 'string',
    options,
    deprecated: element.getAttribute('deprecated') === '1',
  };
  return ok(defaultValue === null ? parameter : { ...parameter, default: defaultValue });
}

/** Parses an agent's `metadata` output. */
export function parseMetadata(xml: string): Result<AgentMetadata, Failure> {
  const root = parseXml(xml);
  if (!root.ok) return root;
  if (root.value.nodeName !== 'resource-agent') {
    return err(failure('bad_metadata', `metadata root is <${root.value.nodeName}>, expected <resource-agent>`));
  }
  const parameterElements = childElements(firstChild(root.value, 'parameters') ?? root.value, 'parameter');
  const actionElements = childElements(firstChild(root.value, 'actions') ?? root.value, 'action');
  if (parameterElements.length > fencingLimits.metadataParametersMax || actionElements.length > fencingLimits.metadataActionsMax) {
    return err(failure('bad_metadata', `metadata declares more than ${fencingLimits.metadataParametersMax} parameters or ${fencingLimits.metadataActionsMax} actions`));
  }
  const parameters: AgentParameter[] = [];
  for (const [index, element] of parameterElements.entries()) {
    const parameter = parseParameter(element, index);
    if (!parameter.ok) return parameter;
    parameters.push(parameter.value);
  }
  const actions = actionElements.map((a) => a.getAttribute('name') ?? '').filter((a) => a.length > 0);
  if (actions.length === 0) return err(failure('bad_metadata', 'metadata declares no actions'));
  return ok({
    name: root.value.getAttribute('name') ?? '',
    shortDescription: root.value.getAttribute('shortdesc') ?? '',
    parameters,
    actions,
  });
}

/**
 * Parses `list` output: one target per line, "port,alias" or "port" (fence-agents), blank lines
 * skipped. A port with spaces means the agent printed something else: a failure, not a target.
 */
export function parseListOutput(text: string): Result<readonly ListEntry[], Failure> {
  const entries: ListEntry[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const [port = '', alias = ''] = line.split(',').map((field) => field.trim());
    if (port.length === 0 || /[\s\0]/.test(port)) {
      return err(failure('bad_list_output', `list output line ${index + 1} is not "port,alias": '${line.slice(0, 80)}'`));
    }
    if (entries.length === fencingLimits.listEntriesMax) {
      return err(failure('bad_list_output', `list output has more than ${fencingLimits.listEntriesMax} entries`));
    }
    entries.push(alias.length > 0 ? { port, alias } : { port });
  }
  return ok(entries);
}

function checkValue(parameter: AgentParameter, value: string, field: string): Result<void, Failure> {
  switch (parameter.type) {
    case 'boolean':
      if (booleanValues.has(value.toLowerCase())) return ok(undefined);
      return err(failure('invalid_parameter_value', `expected a boolean (1, 0, true, false, yes, no, on, off), got '${value}'`, field));
    case 'integer':
      if (/^-?\d+$/.test(value)) return ok(undefined);
      return err(failure('invalid_parameter_value', `expected an integer, got '${value}'`, field));
    case 'second':
      if (/^\d+(\.\d+)?$/.test(value)) return ok(undefined);
      return err(failure('invalid_parameter_value', `expected a number of seconds, got '${value}'`, field));
    case 'select':
      if (parameter.options.length === 0 || parameter.options.includes(value)) return ok(undefined);
      return err(failure('invalid_parameter_value', `expected one of ${parameter.options.join(', ')}, got '${value}'`, field));
    default:
      return ok(undefined);
  }
}

/**
 * Checks a device's parameters against its agent's metadata: every non-pcmk_* parameter is
 * declared and of its type, and every required parameter the fencer does not supply is set.
 */
export function validateDeviceParameters(metadata: AgentMetadata, params: Readonly<Record<string, string>>): Result<void, Failure> {
  const declared = new Map(metadata.parameters.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(params)) {
    if (name.startsWith('pcmk_')) continue;
    const field = `params.${name}`;
    const parameter = declared.get(name);
    if (parameter === undefined) {
      return err(failure('unknown_parameter', `${metadata.name || 'the agent'} has no parameter '${name}'; it takes ${[...declared.keys()].join(', ')}`, field));
    }
    const checked = checkValue(parameter, value, field);
    if (!checked.ok) return checked;
  }
  for (const parameter of metadata.parameters) {
    if (!parameter.required || parameter.default !== undefined || suppliedByFencer.has(parameter.name)) continue;
    if (params[parameter.name] === undefined) {
      return err(failure('missing_parameter', `${metadata.name || 'the agent'} requires '${parameter.name}' (${parameter.type})`, `params.${parameter.name}`));
    }
  }
  return ok(undefined);
}
