/**
 * The templates gallery: every workflow file in `examples/` is a ready workflow a clinic can start
 * from (`workflows import --template NAME`, the web gallery). A file joins by being there: its
 * `name` is the template's title, its `description` the one-line summary (else the notes' first
 * sentence, whole), and the comment lines at its top are the setup notes (which `FLOW_*`
 * settings it reads, what to change).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { triggers } from "../catalog/index.ts";
import { stepKind } from "../steps/registry.ts";
import { allSteps, loadWorkflowFile, type WorkflowDefinition } from "./workflow.ts";

export const TEMPLATES_DIR = fileURLToPath(new URL("../../examples/", import.meta.url));

export interface TemplateInfo {
  /** The file's name without `.yaml`: what `--template` takes. */
  name: string;
  title: string;
  description: string;
  /** The comment lines at the top of the file, without `#`. */
  notes: string;
  trigger: string;
  /** The `FLOW_*` settings it reads (`{{ env.FLOW_… }}`), to set before switching it on. */
  settings: string[];
}

/** Thrown for a name the gallery does not have; the message lists the ones it has. */
export class UnknownTemplateError extends Error {
  override name = "UnknownTemplateError";
}

const files = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];

/**
 * The first sentence of the notes, whole: a comment line ends where the file wraps, not where
 * the sentence does, so a line alone would stop mid-sentence.
 */
export function firstSentence(text: string): string {
  const m = /^.*?[.!?](?=\s|$)/s.exec(text);
  return (m ? m[0] : text).trim();
}

function infoOf(dir: string, file: string): TemplateInfo {
  const text = readFileSync(join(dir, file), "utf8");
  const definition = loadWorkflowFile(join(dir, file));
  const notes = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) break;
    notes.push(line.replace(/^#\s?/, ""));
  }
  const joined = notes.join(" ").trim();
  return {
    name: basename(file).replace(/\.ya?ml$/, ""),
    title: definition.name,
    description: definition.description ?? firstSentence(joined),
    notes: joined,
    trigger: definition.trigger.key,
    settings: [...new Set([...text.matchAll(/env\.(FLOW_[A-Z0-9_]+)/g)].map((m) => m[1]!))].sort(),
  };
}

export function listTemplates(dir = TEMPLATES_DIR): TemplateInfo[] {
  return files(dir).map((f) => infoOf(dir, f));
}

/**
 * A template's definition, ready to save. With `connection`, the trigger and every step that talks
 * through a connection use it (a template names none, so it would otherwise need one called
 * "default").
 */
export function loadTemplate(
  name: string,
  options: { connection?: string; dir?: string } = {},
): { info: TemplateInfo; definition: WorkflowDefinition } {
  const dir = options.dir ?? TEMPLATES_DIR;
  const file = files(dir).find((f) => f.replace(/\.ya?ml$/, "") === name);
  if (!file) {
    const names = files(dir).map((f) => f.replace(/\.ya?ml$/, ""));
    throw new UnknownTemplateError(`There is no template "${name}". Templates: ${names.join(", ")}.`);
  }
  const definition = loadWorkflowFile(join(dir, file));
  const { connection } = options;
  if (connection) {
    // Only catalogue triggers poll Cliniko; the built-in ones (schedule, webhook) take no connection.
    if (triggers.some((t) => t.key === definition.trigger.key)) definition.trigger.connection ??= connection;
    for (const { step } of allSteps(definition.steps))
      if (stepKind(step.action).connection === "cliniko") step.connection ??= connection;
  }
  return { info: infoOf(dir, file), definition };
}
