// Owns the table behind a resource's allowed nodes (Pacemaker's allowed_nodes): a score per
// node, for some or all of the working set's nodes. A cluster of N nodes and R resources holds
// R such tables, so each is two dense arrays (score, has-entry) indexed by the node's position
// in the working set (PNode.index) rather than a map of N small objects; copying one is a
// memory copy. The arrays are cut from large zeroed blocks a NodeSpace allocates for the whole
// working set (one planning run): allocating tens of thousands of small typed arrays one by
// one is a large part of the planning time otherwise.
// Invariants: entries are only ever added, never removed; iteration follows insertion order
// (as a Map's would), which is ascending node order unless an entry was added out of order;
// every node passed in belongs to the working set the table was made for. Pure.

import { addScores } from '../score.js';
import type { PNode } from './working-set.js';

/** One node's score in a table. Values handed out by NodeScores are live: setting weight writes through. */
export interface NodeScore { readonly node: PNode; weight: number }

class LiveScore implements NodeScore {
  constructor(readonly node: PNode, private readonly weights: Float64Array) {}
  get weight(): number { return this.weights[this.node.index] ?? 0; }
  set weight(value: number) { this.weights[this.node.index] = value; }
}

/** The working set's nodes, and the zeroed blocks their score tables are cut from. */
export class NodeSpace {
  private weightBlock = new Float64Array(0);
  private presentBlock = new Uint8Array(0);
  private used = 0;

  /** `nodes` is the working set's node list; it must be complete before the first table is made. */
  constructor(readonly nodes: readonly PNode[]) {}

  /** Fresh (all zero) score and has-entry arrays of one element per node. */
  allocate(): { weights: Float64Array; present: Uint8Array } {
    const length = this.nodes.length;
    if (this.used + length > this.weightBlock.length) {
      const size = Math.max(length, blockScoresMin);
      this.weightBlock = new Float64Array(size);
      this.presentBlock = new Uint8Array(size);
      this.used = 0;
    }
    const range = [this.used, this.used + length] as const;
    this.used += length;
    return { weights: this.weightBlock.subarray(...range), present: this.presentBlock.subarray(...range) };
  }
}

/** Scores per block: 128K (1 MiB of scores), a hundred tables or more of a large cluster. */
const blockScoresMin = 131_072;

export class NodeScores {
  private constructor(
    private readonly space: NodeSpace,
    /** The working set's nodes, by index. */
    private readonly nodes: readonly PNode[],
    private readonly weights: Float64Array,
    /** 1 where the node has an entry. */
    private readonly present: Uint8Array,
    /** Node indexes in insertion order, once that is not ascending; undefined while it is. */
    private order: number[] | undefined,
    /** The highest index added so far (while `order` is undefined, the last one added). */
    private highest: number,
    private count: number,
  ) {}

  static empty(space: NodeSpace): NodeScores {
    const { weights, present } = space.allocate();
    return new NodeScores(space, space.nodes, weights, present, undefined, -1, 0);
  }

  get size(): number { return this.count; }

  has(node: PNode): boolean { return this.present[this.indexOf(node)] === 1; }

  /** The node's entry (live), if it has one. */
  get(node: PNode): NodeScore | undefined {
    return this.has(node) ? new LiveScore(node, this.weights) : undefined;
  }

  /** The node's score, if it has an entry. */
  weight(node: PNode): number | undefined {
    const i = this.indexOf(node);
    return this.present[i] === 1 ? this.weights[i] : undefined;
  }

  /** Sets the node's score, adding an entry when it has none. */
  set(node: PNode, weight: number): void {
    const i = this.indexOf(node);
    if (this.present[i] !== 1) this.insert(i);
    this.weights[i] = weight;
  }

  /** Adds `score` to the node's entry (score arithmetic), or adds an entry with `score`. */
  add(node: PNode, score: number): void {
    const i = this.indexOf(node);
    if (this.present[i] === 1) this.weights[i] = addScores(this.weights[i] ?? 0, score);
    else { this.insert(i); this.weights[i] = score; }
  }

  /** add(node, score) for every node in index order; on an empty table, one fill. */
  addEverywhere(score: number): void {
    if (this.count > 0) { for (const node of this.nodes) this.add(node, score); return; }
    this.present.fill(1);
    // A table without entries has never been written: its scores are still the block's zeros.
    if (score !== 0) this.weights.fill(score);
    this.highest = this.nodes.length - 1;
    this.count = this.nodes.length;
  }

  /** The nodes with an entry, in insertion order. */
  nodesWithEntries(): PNode[] {
    const out: PNode[] = [];
    this.forEach((node) => { out.push(node); });
    return out;
  }

  /** Every entry (live), in insertion order. */
  values(): NodeScore[] {
    const out: NodeScore[] = [];
    this.forEach((node) => { out.push(new LiveScore(node, this.weights)); });
    return out;
  }

  /** Calls visit(node, score) for every entry, in insertion order. */
  forEach(visit: (node: PNode, weight: number) => void): void {
    for (let slot = 0; slot < this.slots(); slot++) {
      const i = this.entryAt(slot);
      if (i >= 0) visit(this.nodeAt(i), this.weights[i] ?? 0);
    }
  }

  /**
   * The entry `compare` puts first (among equals, the earliest inserted). `rank` must be
   * compare's leading criterion, higher first: one pass finds the highest rank, a second
   * compares only the entries that have it (usually one, so compare rarely runs).
   */
  first(rank: (node: PNode, weight: number) => number,
    compare: (node: PNode, weight: number, leader: PNode, leaderWeight: number) => number): NodeScore | undefined {
    let top = -Infinity;
    for (let slot = 0; slot < this.slots(); slot++) {
      const i = this.entryAt(slot);
      if (i >= 0) top = Math.max(top, rank(this.nodeAt(i), this.weights[i] ?? 0));
    }
    let leader: PNode | undefined;
    let leaderWeight = 0;
    for (let slot = 0; slot < this.slots(); slot++) {
      const i = this.entryAt(slot);
      if (i < 0) continue;
      const node = this.nodeAt(i);
      const weight = this.weights[i] ?? 0;
      if (rank(node, weight) !== top) continue;
      if (leader === undefined || compare(node, weight, leader, leaderWeight) < 0) { leader = node; leaderWeight = weight; }
    }
    return leader === undefined ? undefined : { node: leader, weight: leaderWeight };
  }

  /** Whether any entry passes `test`. */
  some(test: (node: PNode, weight: number) => boolean): boolean {
    for (let slot = 0; slot < this.slots(); slot++) {
      const i = this.entryAt(slot);
      if (i >= 0 && test(this.nodeAt(i), this.weights[i] ?? 0)) return true;
    }
    return false;
  }

  /** Replaces every entry's score with next(node, score), in insertion order. */
  update(next: (node: PNode, weight: number) => number): void {
    for (let slot = 0; slot < this.slots(); slot++) {
      const i = this.entryAt(slot);
      if (i >= 0) this.weights[i] = next(this.nodeAt(i), this.weights[i] ?? 0);
    }
  }

  /** An empty table over the same nodes. */
  cleared(): NodeScores {
    return NodeScores.empty(this.space);
  }

  copy(): NodeScores {
    const { weights, present } = this.space.allocate();
    weights.set(this.weights);
    present.set(this.present);
    return new NodeScores(this.space, this.nodes, weights, present, this.order?.slice(), this.highest, this.count);
  }

  /**
   * Entries in insertion order are slots 0 to slots() - 1: entryAt(slot) is the node index of
   * the slot's entry, or -1 for a slot without one (while the order is ascending, slots are
   * node indexes, some without an entry).
   */
  private slots(): number { return this.order ? this.order.length : this.highest + 1; }

  private entryAt(slot: number): number {
    if (this.order) return this.order[slot] ?? -1;
    return this.present[slot] === 1 ? slot : -1;
  }

  private insert(i: number): void {
    if (this.order === undefined && i < this.highest) {
      const order: number[] = [];
      for (let k = 0; k <= this.highest; k++) if (this.present[k] === 1) order.push(k);
      this.order = order;
    }
    this.order?.push(i);
    this.present[i] = 1;
    this.highest = Math.max(this.highest, i);
    this.count++;
  }

  private indexOf(node: PNode): number {
    const i = node.index;
    if (this.nodes[i] !== node) throw new Error(`node ${node.name} is not node ${i} of this working set`);
    // Nodes are all known before any table is made (NodeSpace): a later one has no slot.
    if (i >= this.weights.length) throw new Error(`node ${node.name} was added after this table was made`);
    return i;
  }

  private nodeAt(i: number): PNode {
    const node = this.nodes[i];
    if (!node) throw new Error(`no node ${i} in this working set`);
    return node;
  }
}
