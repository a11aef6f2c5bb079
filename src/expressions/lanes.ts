/**
 * A queue that takes turns: one first-in first-out line per lane (the expression pool's lanes are
 * workflows), served round-robin. `shift` takes the head of the next lane's line, and that lane
 * goes to the back of the rotation, so a lane that floods the queue delays another's next item by
 * at most one of its own per server, not by everything it queued.
 */
export class Lanes<T extends { lane: string }> {
  readonly #lines = new Map<string, T[]>();
  /** Lanes with a waiting item, in the order of their next turn. */
  readonly #turns: string[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    const line = this.#lines.get(item.lane);
    if (line) line.push(item);
    else {
      this.#lines.set(item.lane, [item]);
      this.#turns.push(item.lane);
    }
    this.#size++;
  }

  /** The oldest item of the lane whose turn it is. */
  shift(): T | undefined {
    const lane = this.#turns.shift();
    if (lane === undefined) return undefined;
    const line = this.#lines.get(lane)!;
    const item = line.shift()!;
    if (line.length > 0) this.#turns.push(lane);
    else this.#lines.delete(lane);
    this.#size--;
    return item;
  }

  /** Takes out an item that is still waiting; false if it was taken already (or never here). */
  remove(item: T): boolean {
    const line = this.#lines.get(item.lane);
    const i = line ? line.indexOf(item) : -1;
    if (!line || i < 0) return false;
    line.splice(i, 1);
    if (line.length === 0) {
      this.#lines.delete(item.lane);
      this.#turns.splice(this.#turns.indexOf(item.lane), 1);
    }
    this.#size--;
    return true;
  }

  includes(item: T): boolean {
    return this.#lines.get(item.lane)?.includes(item) ?? false;
  }

  clear(): T[] {
    const all = [...this.#lines.values()].flat();
    this.#lines.clear();
    this.#turns.length = 0;
    this.#size = 0;
    return all;
  }
}
