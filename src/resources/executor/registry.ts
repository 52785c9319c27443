// Owns the class registry: the one place that maps class names (`ocf`, `exec`, `systemd`) to
// their implementations. Shared code looks a class up here and calls it through the
// ResourceClass interface; nothing else branches on a class name.

import type { Clock, Timers } from '../../core/clock.js';
import { assert } from '../../core/result.js';
import { ExecClass } from './exec.js';
import { OcfClass } from './ocf.js';
import { SystemdClass } from './systemd.js';
import type { ResourceClass } from './types.js';

export interface ClassRegistry {
  get(name: string): ResourceClass | undefined;
  names(): readonly string[];
}

export function createRegistry(classes: readonly ResourceClass[]): ClassRegistry {
  const byName = new Map<string, ResourceClass>();
  for (const resourceClass of classes) {
    assert(!byName.has(resourceClass.name), `resource class ${resourceClass.name} registered twice`);
    byName.set(resourceClass.name, resourceClass);
  }
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()],
  };
}

export interface StandardClassOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Where the exec class keeps pid files. */
  readonly stateDirectory: string;
  readonly ocfRoot?: string;
  readonly nodeName?: string;
  /** Classes a node adds to the standard three (the resource manager's stonith class). */
  readonly extraClasses?: readonly ResourceClass[];
  /** Extra variables for OCF agents (see OcfClassOptions.environment). */
  readonly ocfEnvironment?: Readonly<Record<string, string>>;
}

/** The classes every node offers: ocf, exec and systemd, plus any extra ones. */
export function standardRegistry(options: StandardClassOptions): ClassRegistry {
  const { clock, timers } = options;
  return createRegistry([
    new OcfClass({
      clock,
      timers,
      ...(options.ocfRoot === undefined ? {} : { ocfRoot: options.ocfRoot }),
      ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }),
      ...(options.ocfEnvironment === undefined ? {} : { environment: options.ocfEnvironment }),
    }),
    new ExecClass({ clock, timers, stateDirectory: options.stateDirectory }),
    new SystemdClass({ clock, timers }),
    ...(options.extraClasses ?? []),
  ]);
}
