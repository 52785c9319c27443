// Owns running a transition graph (Pacemaker's controller executing the scheduler's graph):
// the actions that are required and runnable form the graph, with the runnable pseudo-actions
// that follow them; an action starts once every
// action ordered before it has completed; pseudo-actions complete as soon as they may start.
// The first unexpected result stops new actions from starting (those in flight finish), and
// the caller plans again from the new state. A pseudo-action the caller marks as carrying work
// (a notify clone's start/running, ...) runs like a real one. The runner is given the function
// that carries an action out, so it is tested without processes.

import type { Action } from './planner/actions.js';

export interface Step {
  readonly action: Action;
  /** Steps that must complete first. */
  readonly after: readonly Step[];
}

export interface TransitionOutcome {
  readonly completed: number;
  readonly failed: readonly Action[];
  /** Steps never started because the transition was stopped. */
  readonly skipped: number;
}

/** The graph of a planned transition: required, runnable actions and the orderings among them. */
export function graphOf(actions: readonly Action[]): Step[] {
  const inGraph = new Set(actions.filter((a) => !a.optional && a.runnable));
  // A runnable pseudo-action that follows one in the graph belongs to it too (a clone's
  // `running` after its instances' starts): it keeps the orderings that pass through it and
  // carries a notify clone's post notifications.
  for (let grew = true; grew;) {
    grew = false;
    for (const a of actions) {
      if (a.pseudo && a.runnable && !inGraph.has(a) && a.before.some((e) => inGraph.has(e.first))) {
        inGraph.add(a);
        grew = true;
      }
    }
  }
  const steps = new Map<Action, { action: Action; after: Step[] }>();
  for (const a of inGraph) steps.set(a, { action: a, after: [] });
  for (const [a, step] of steps) {
    for (const edge of a.before) {
      const first = steps.get(edge.first);
      if (first && !step.after.includes(first)) step.after.push(first);
    }
  }
  return [...steps.values()];
}

/** Whether a graph does anything but pseudo-actions. */
export const hasWork = (steps: readonly Step[]): boolean => steps.some((s) => !s.action.pseudo);

export async function runTransition(
  steps: readonly Step[],
  carryOut: (action: Action) => Promise<boolean>,
  options: {
    readonly inFlightMax: number;
    readonly stopped?: () => boolean;
    /** Pseudo-actions that carry work of their own (a clone's notifications); others complete at once. */
    readonly pseudoWork?: (action: Action) => boolean;
  },
): Promise<TransitionOutcome> {
  const done = new Set<Step>();
  const started = new Set<Step>();
  const failed: Action[] = [];
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const halted = (): boolean => failed.length > 0 || options.stopped?.() === true;
  const ready = (): Step[] => steps.filter((s) => !started.has(s) && s.after.every((d) => done.has(d)));
  for (;;) {
    let progressed = true;
    while (progressed && !halted()) {
      progressed = false;
      for (const step of ready()) {
        if (step.action.pseudo && options.pseudoWork?.(step.action) !== true) {
          started.add(step);
          done.add(step);
          progressed = true;
          continue;
        }
        if (inFlight >= options.inFlightMax) break;
        started.add(step);
        inFlight += 1;
        void carryOut(step.action)
          .catch(() => false)
          .then((ok) => {
            inFlight -= 1;
            if (ok) done.add(step);
            else failed.push(step.action);
            wake?.();
          });
      }
    }
    if (inFlight === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  return { completed: done.size, failed, skipped: steps.length - started.size };
}
