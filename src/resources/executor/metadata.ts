// Owns agent meta-data: parsing the XML an agent prints for its `meta-data` action into
// parameters (name, required, unique, content type, default) and actions (default timeout and
// interval), and checking a resource's parameters against it (`validateParameters`).
//
// Input: the XML text (classes run the agent; see ocf.ts). Output: Result values; malformed
// XML, a root that is not <resource-agent>, or more parameters than the named limits are
// failures, never exceptions. Pure: no I/O.

import { DOMParser, type Element } from '@xmldom/xmldom';
import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import { executorLimits } from './limits.js';
import { parsePacemakerDurationMs } from '../../core/duration.js';

/** Content types checked; any other declared type is kept as `string` (not checked), as Pacemaker does. */
export type ContentType = 'string' | 'integer' | 'boolean' | 'time' | 'select';

export interface ParameterSpec {
  readonly name: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly contentType: ContentType;
  /** The type as the agent declared it (`port`, `nonnegative_integer`...). */
  readonly declaredType: string;
  readonly defaultValue?: string;
  /** The allowed values of a `select`. */
  readonly options: readonly string[];
  readonly shortDescription: string;
  readonly deprecated: boolean;
}

export interface ActionSpec {
  readonly name: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly role?: string;
  readonly depth?: string;
}

export interface AgentMetadata {
  readonly name: string;
  readonly version?: string;
  readonly shortDescription: string;
  readonly parameters: readonly ParameterSpec[];
  readonly actions: readonly ActionSpec[];
}

export type MetadataFailureCode = 'metadata_malformed' | 'metadata_too_large' | 'metadata_unavailable';
export type ParameterFailureCode = 'unknown_parameter' | 'missing_parameter' | 'invalid_parameter';

/** Pacemaker's time values (src/core/duration.ts), under the name the executor exports. */
export const parseDurationMs = parsePacemakerDurationMs;

export function parseMetadata(xml: string): Result<AgentMetadata, Failure<MetadataFailureCode>> {
  const root = parseRoot(xml);
  if (!root.ok) return root;
  const parameterElements = elementsIn(root.value, 'parameters', 'parameter');
  const actionElements = elementsIn(root.value, 'actions', 'action');
  if (parameterElements.length > executorLimits.metadataParametersMax) {
    return err(failure('metadata_too_large', `meta-data declares ${parameterElements.length} parameters, more than ${executorLimits.metadataParametersMax}`));
  }
  if (actionElements.length > executorLimits.metadataActionsMax) {
    return err(failure('metadata_too_large', `meta-data declares ${actionElements.length} actions, more than ${executorLimits.metadataActionsMax}`));
  }
  const parameters: ParameterSpec[] = [];
  for (const element of parameterElements) {
    const parameter = parseParameter(element);
    if (!parameter.ok) return parameter;
    parameters.push(parameter.value);
  }
  const version = childText(root.value, 'version');
  return ok({
    name: root.value.getAttribute('name') ?? '',
    ...(version === undefined ? {} : { version }),
    shortDescription: childText(root.value, 'shortdesc') ?? '',
    parameters,
    actions: actionElements.map(parseAction),
  });
}

function parseRoot(xml: string): Result<Element, Failure<MetadataFailureCode>> {
  const problems: string[] = [];
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') problems.push(message.split('\n')[0] ?? message);
    },
  });
  let root: Element | null;
  try {
    root = parser.parseFromString(xml, 'text/xml').documentElement;
  } catch (error) {
    problems.push(error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error));
    root = null;
  }
  if (problems.length > 0 || root === null) {
    return err(failure('metadata_malformed', `meta-data is not well-formed XML: ${problems[0] ?? 'no root element'}`));
  }
  if (root.tagName !== 'resource-agent') {
    return err(failure('metadata_malformed', `meta-data root element is <${root.tagName}>, expected <resource-agent>`));
  }
  return ok(root);
}

/** The DOM's Node.ELEMENT_NODE. */
const elementNodeType = 1;

function childElements(parent: Element, tagName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === elementNodeType && (node as Element).tagName === tagName) found.push(node as Element);
  }
  return found;
}

function elementsIn(root: Element, containerTag: string, tagName: string): Element[] {
  return childElements(root, containerTag).flatMap((container) => childElements(container, tagName));
}

function childText(parent: Element, tagName: string): string | undefined {
  const text = childElements(parent, tagName)[0]?.textContent;
  return text === null || text === undefined ? undefined : text.trim();
}

function flag(element: Element, attribute: string): boolean {
  const value = element.getAttribute(attribute);
  return value === '1' || value === 'true' || value === 'yes';
}

const contentTypes: ReadonlyMap<string, ContentType> = new Map<string, ContentType>([
  ['string', 'string'],
  ['integer', 'integer'],
  ['boolean', 'boolean'],
  ['time', 'time'],
  ['timeout', 'time'],
  ['duration', 'time'],
  ['select', 'select'],
]);

function parseParameter(element: Element): Result<ParameterSpec, Failure<MetadataFailureCode>> {
  const name = element.getAttribute('name') ?? '';
  if (name.length === 0) return err(failure('metadata_malformed', 'meta-data has a <parameter> without a name'));
  const content = childElements(element, 'content')[0];
  const declaredType = content?.getAttribute('type') ?? 'string';
  const defaultValue = content?.getAttribute('default') ?? undefined;
  const options = content === undefined ? [] : childElements(content, 'option').map((option) => option.getAttribute('value') ?? '');
  return ok({
    name,
    required: flag(element, 'required'),
    unique: flag(element, 'unique') || element.hasAttribute('unique-group'),
    contentType: contentTypes.get(declaredType) ?? 'string',
    declaredType,
    ...(defaultValue === undefined ? {} : { defaultValue }),
    options,
    shortDescription: childText(element, 'shortdesc') ?? '',
    deprecated: flag(element, 'deprecated') || childElements(element, 'deprecated').length > 0,
  });
}

function parseAction(element: Element): ActionSpec {
  const timeoutMs = parseDurationMs(element.getAttribute('timeout') ?? '');
  const intervalMs = parseDurationMs(element.getAttribute('interval') ?? '');
  const role = element.getAttribute('role') ?? undefined;
  const depth = element.getAttribute('depth') ?? undefined;
  return {
    name: element.getAttribute('name') ?? '',
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(role === undefined ? {} : { role }),
    ...(depth === undefined ? {} : { depth }),
  };
}

const booleanWords = ['true', 'false', 'yes', 'no', '1', '0', 'on', 'off'];

/** Why a value does not fit a parameter's content type, or undefined when it fits. */
function typeProblem(spec: ParameterSpec, value: string): string | undefined {
  switch (spec.contentType) {
    case 'string':
      return undefined;
    case 'integer':
      return /^[+-]?\d+$/.test(value.trim()) ? undefined : 'an integer (e.g. 42)';
    case 'boolean':
      return booleanWords.includes(value.trim().toLowerCase()) ? undefined : `a boolean (one of ${booleanWords.join(', ')})`;
    case 'time':
      return parseDurationMs(value) !== undefined ? undefined : 'a duration (e.g. 20s, 100ms, 5min)';
    case 'select':
      return spec.options.length === 0 || spec.options.includes(value) ? undefined : `one of ${spec.options.join(', ')}`;
  }
}

/**
 * Checks a resource's parameters against its agent's meta-data: every name must be declared,
 * every required parameter given, every value of its content type. Returns the parameters, or
 * every problem found, each naming its field (`params.<name>`) and the expected form.
 */
export function validateParameters(
  metadata: AgentMetadata,
  params: Readonly<Record<string, string>>,
): Result<Readonly<Record<string, string>>, readonly Failure<ParameterFailureCode>[]> {
  const problems: Failure<ParameterFailureCode>[] = [];
  const specs = new Map(metadata.parameters.map((spec) => [spec.name, spec]));
  for (const [name, value] of Object.entries(params)) {
    const spec = specs.get(name);
    if (spec === undefined) {
      const known = [...specs.keys()].join(', ') || 'none';
      problems.push(failure('unknown_parameter', `${metadata.name} has no parameter ${name} (it has: ${known})`, `params.${name}`));
      continue;
    }
    const expected = typeProblem(spec, value);
    if (expected !== undefined) {
      problems.push(failure('invalid_parameter', `${name} must be ${expected}, got ${JSON.stringify(value)}`, `params.${name}`));
    }
  }
  for (const spec of metadata.parameters) {
    if (spec.required && params[spec.name] === undefined) {
      problems.push(failure('missing_parameter', `${metadata.name} requires parameter ${spec.name} (${spec.shortDescription || spec.declaredType})`, `params.${spec.name}`));
    }
  }
  return problems.length === 0 ? ok(params) : err(problems);
}
