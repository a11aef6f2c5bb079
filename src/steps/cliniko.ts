/**
 * The catalogue's Cliniko actions as step kinds: one entry per action, derived from its row
 * (src/catalog), so a new catalogue action is a new step kind with nothing else to write.
 */
import type { ActionDef } from "../catalog/index.ts";
import { actions } from "../catalog/index.ts";
import type { RepeatSafety, StepKind } from "./types.ts";

/** GETs and POSTs that only search read; other POSTs create (write-once); PATCH/PUT/DELETE repeat safely. */
function safetyOf(def: ActionDef): RepeatSafety {
  if (def.method === "GET" || def.kind === "find" || def.kind === "list") return "read";
  return def.method === "POST" ? "write-once" : "idempotent";
}

export function clinikoStep(def: ActionDef): StepKind {
  const safety = safetyOf(def);
  return {
    key: def.key,
    title: def.title,
    group: def.group,
    description: def.description,
    builtin: false,
    action: def,
    connection: "cliniko",
    input: def.input,
    inputSchema: def.inputSchema as Record<string, unknown>,
    outputSample: def.outputSample,
    effects: ["continue"],
    safety: () => safety,
    async execute(ctx, input) {
      const { client } = await ctx.clients.resolve(ctx.step.connection);
      return (await def.run(client, input)) ?? null;
    },
  };
}

export const clinikoSteps: readonly StepKind[] = actions.map(clinikoStep);
