// Owns the ordering flags between actions (Pacemaker's pe_ordering): how one action's
// optional/runnable state affects another's. Pure constants.

export const OrderFlag = {
  None: 0,
  /** Sequence only. */
  Optional: 1 << 0,
  /** A required `first` makes `then` required. */
  ImpliesThen: 1 << 1,
  /** A required `then` makes `first` required. */
  ImpliesFirst: 1 << 2,
  /** An unrunnable `first` makes `then` unrunnable. */
  RunnableLeft: 1 << 3,
  /** A required, runnable start makes the same resource's stop required (restart). */
  Restart: 1 << 4,
  Serialize: 1 << 5,
  /** Mandatory but not symmetrical. */
  Asymmetrical: 1 << 6,
  /** `then` needs only one (or clone-min) of several `first` actions runnable. */
  OneOrMore: 1 << 7,
  /** Only between actions on the same node. */
  SameNode: 1 << 8,
  /** A required `then` makes `first` required, only if first's resource is promoted. */
  PromotedImpliesFirst: 1 << 9,
  /** `then` required when `first` is required and `then`'s resource is on first's node (interleave). */
  ImpliesThenOnNode: 1 << 10,
  /** A required `then` makes `first` required only if first's resource can migrate. */
  ImpliesFirstMigratable: 1 << 11,
  /** An unrunnable `first` stops `then` from migrating. */
  ProbeOnly: 1 << 12,
  /** An unrunnable `first` (migrate_from) makes `then` (the start) real and not migratable. */
  PseudoLeft: 1 << 13,
  /** A required `then` (a stop or demote) cancels `first` (an agent reload). */
  ThenCancelsFirst: 1 << 14,
} as const;

export const hasFlag = (flags: number, flag: number): boolean => (flags & flag) !== 0;
