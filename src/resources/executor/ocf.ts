// Owns the `ocf` resource class: running `<ocfRoot>/resource.d/<provider>/<type> <action>` with
// the environment the OCF resource agent API (1.1) and Pacemaker define, and reading an
// agent's meta-data.
//
// Environment: a fixed PATH, OCF_ROOT, OCF_RA_VERSION_MAJOR/MINOR, OCF_RESOURCE_INSTANCE,
// OCF_RESOURCE_TYPE, OCF_RESOURCE_PROVIDER, OCF_RESKEY_<param> per parameter and
// OCF_RESKEY_CRM_meta_<name> per meta attribute ('-' becomes '_'), with name (the action),
// interval and timeout (milliseconds) always set and on_node when the node name is known.
// Nothing of the executor's own environment leaks to agents.

import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import type { Clock, Timers } from '../../core/clock.js';
import { failedResult, interpretProcess, ocfRc } from './exit-codes.js';
import { executorLimits } from './limits.js';
import { parseMetadata, type AgentMetadata } from './metadata.js';
import { keptText } from './output.js';
import { runProcess, type ProcessRuntime } from './process.js';
import type { ActionRequest, ActionResult, AgentName, ResourceClass, StringRecord } from './types.js';

export const defaultOcfRoot = '/usr/lib/ocf';
/** The PATH agents get: system directories only, whatever the executor's own PATH is. */
export const agentSearchPath = '/usr/sbin:/usr/bin:/sbin:/bin';

export interface OcfClassOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly ocfRoot?: string;
  /** This node's name, passed as OCF_RESKEY_CRM_meta_on_node. */
  readonly nodeName?: string;
  readonly killGraceMs?: number;
  /**
   * Variables every agent gets on top of the OCF ones: a node's own state directories
   * (HA_RSCTMP, HA_VARRUN) and the directory of Herd's crm_attribute (HA_SBIN_DIR).
   */
  readonly environment?: StringRecord;
}

/** Provider and type are path components: no separators, no leading dot. */
const agentNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
/** Parameter names become environment variable names. */
const parameterNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const metaNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export class OcfClass implements ResourceClass {
  readonly name = 'ocf';
  private readonly ocfRoot: string;
  private readonly runtime: ProcessRuntime;

  constructor(private readonly options: OcfClassOptions) {
    this.ocfRoot = options.ocfRoot ?? defaultOcfRoot;
    this.runtime = {
      clock: options.clock,
      timers: options.timers,
      ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
    };
  }

  /** The agent's executable, or why the name cannot be one. */
  agentFile(agent: AgentName): Result<string, Failure<'invalid_agent'>> {
    if (agent.provider === undefined) return err(failure('invalid_agent', 'an ocf resource needs a provider (ocf:<provider>:<type>)', 'provider'));
    if (!agentNamePattern.test(agent.provider)) return err(failure('invalid_agent', `invalid ocf provider ${JSON.stringify(agent.provider)}`, 'provider'));
    if (!agentNamePattern.test(agent.type)) return err(failure('invalid_agent', `invalid ocf agent type ${JSON.stringify(agent.type)}`, 'type'));
    return ok(`${this.ocfRoot}/resource.d/${agent.provider}/${agent.type}`);
  }

  async run(request: ActionRequest): Promise<ActionResult> {
    const file = this.agentFile(request);
    if (!file.ok) return failedResult('error', ocfRc.notConfigured, file.error.message, 0);
    const environment = this.environment(request);
    if (!environment.ok) return failedResult('error', ocfRc.notConfigured, environment.error.message, 0);
    const result = await runProcess(
      {
        command: file.value,
        args: [request.action],
        environment: environment.value,
        timeoutMs: request.timeoutMs,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      },
      this.runtime,
    );
    return interpretProcess(result, `${request.provider ?? ''}:${request.type} ${request.action}`, request.timeoutMs);
  }

  async metadata(agent: AgentName, signal?: AbortSignal): Promise<Result<AgentMetadata, Failure>> {
    const file = this.agentFile(agent);
    if (!file.ok) return file;
    const timeoutMs = executorLimits.metadataTimeoutMs;
    const result = await runProcess(
      { command: file.value, args: ['meta-data'], environment: this.baseEnvironment(agent), timeoutMs, ...(signal === undefined ? {} : { signal }) },
      this.runtime,
    );
    const answer = interpretProcess(result, `${agent.provider ?? ''}:${agent.type} meta-data`, timeoutMs);
    if (answer.rc !== ocfRc.success || answer.status !== 'done') {
      const stderr = keptText(result.stderr).trim().slice(0, executorLimits.exitReasonCharsMax);
      return err(failure('metadata_unavailable', answer.exitReason ?? `meta-data exited with ${answer.rc}: ${stderr}`));
    }
    if (result.stdout.bytesDropped > 0) {
      return err(failure('metadata_too_large', `meta-data output is larger than ${result.stdout.text.length} bytes`));
    }
    return parseMetadata(result.stdout.text);
  }

  private baseEnvironment(agent: AgentName): Record<string, string> {
    return {
      ...this.options.environment,
      PATH: agentSearchPath,
      OCF_ROOT: this.ocfRoot,
      OCF_RA_VERSION_MAJOR: '1',
      OCF_RA_VERSION_MINOR: '1',
      OCF_EXIT_REASON_PREFIX: 'ocf-exit-reason:',
      OCF_RESOURCE_TYPE: agent.type,
      OCF_RESOURCE_PROVIDER: agent.provider ?? '',
    };
  }

  /** The whole environment of one action, or the first parameter or meta name that cannot be a variable name. */
  environment(request: ActionRequest): Result<Record<string, string>, Failure<'invalid_name'>> {
    const environment = this.baseEnvironment(request);
    environment['OCF_RESOURCE_INSTANCE'] = request.resourceId;
    for (const [name, value] of Object.entries(request.params)) {
      if (!parameterNamePattern.test(name)) return err(failure('invalid_name', `parameter name ${JSON.stringify(name)} is not a valid environment name`, `params.${name}`));
      environment[`OCF_RESKEY_${name}`] = value;
    }
    const metaVariables = metaEnvironment({ ...request.meta, ...request.extraMeta });
    if (!metaVariables.ok) return metaVariables;
    Object.assign(environment, metaVariables.value);
    const fixed: StringRecord = {
      name: request.action,
      interval: String(request.intervalMs),
      timeout: String(request.timeoutMs),
      ...(this.options.nodeName === undefined ? {} : { on_node: this.options.nodeName }),
    };
    for (const [name, value] of Object.entries(fixed)) environment[`OCF_RESKEY_CRM_meta_${name}`] = value;
    return ok(environment);
  }
}

function metaEnvironment(meta: StringRecord): Result<Record<string, string>, Failure<'invalid_name'>> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(meta)) {
    if (!metaNamePattern.test(name)) return err(failure('invalid_name', `meta attribute name ${JSON.stringify(name)} is not a valid environment name`, `meta.${name}`));
    variables[`OCF_RESKEY_CRM_meta_${name.replaceAll('-', '_')}`] = value;
  }
  return ok(variables);
}
