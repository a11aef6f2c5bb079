/** A tool error that is the caller's to fix (a run that is still running, an unknown name, a slot taken). */
export class ToolRefusal extends Error {
  override name = "ToolRefusal";
}
