/**
 * The keys a run's step rows are stored under. A step of the workflow's own list is journaled by
 * its id; a step inside a loop's item by the loop's key, the item's index and its id
 * (`loop[57].send`, `outer[2].inner[5].send`), so every item's steps have rows of their own and a
 * resumed run finds exactly which items are done. Step ids hold only letters, digits and `_`, so
 * no key of one kind can be mistaken for another.
 */

/** The prefix of the steps of item `index` of the loop journaled as `loopKey`. */
export function itemPrefix(loopKey: string, index: number): string {
  return `${loopKey}[${index}].`;
}

/** A step's key under a prefix (`""` for the workflow's own steps). */
export function journalKey(prefix: string, stepId: string): string {
  return prefix + stepId;
}

/** The workflow step a key was journaled for (`loop[57].send` → `send`). */
export function stepIdOfKey(key: string): string {
  return key.slice(key.lastIndexOf(".") + 1);
}

/** The outputs an item's steps added to the scope it started from (its `steps` in the loop's result). */
export function ownSteps(steps: Record<string, unknown>, before: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(steps).filter(([id]) => !Object.hasOwn(before, id)));
}
