import type { Command } from "commander";

/** Registers this module's verbs and returns their names. */
export function register(_program: Command): string[] {
  return [];
}
