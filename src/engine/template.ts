/**
 * `{{ }}` templates: JSONata over `{ trigger, steps, env }` with a time and depth limit — no eval.
 * A string that is exactly one `{{ x }}` takes x's value and type (a number stays a number, an
 * object stays an object); expressions inside longer text are interpolated as text.
 */
import jsonata from "jsonata";

export interface TemplateScope {
  trigger: unknown;
  steps: Record<string, unknown>;
  env: Record<string, string>;
}

export class TemplateError extends Error {
  override name = "TemplateError";
  readonly expression: string;
  /** Where the template sits (`steps[0].input.name`), filled in by the runner. */
  readonly path: string;
  constructor(expression: string, path: string, reason: string) {
    super(`The expression {{ ${expression.trim()} }} at ${path} failed: ${reason}`);
    this.expression = expression;
    this.path = path;
  }
}

const WHOLE = /^\s*\{\{([\s\S]*?)\}\}\s*$/;
const ANY = /\{\{([\s\S]*?)\}\}/g;
const cache = new Map<string, ReturnType<typeof jsonata>>();

export const DEFAULT_TIME_LIMIT_MS = 1000;

function compile(expression: string, timeLimitMs: number): ReturnType<typeof jsonata> {
  const key = `${timeLimitMs}\0${expression}`;
  let compiled = cache.get(key);
  if (!compiled) {
    compiled = jsonata(expression, { timeout: timeLimitMs, stack: 300 });
    if (cache.size > 5000) cache.clear();
    cache.set(key, compiled);
  }
  return compiled;
}

/** JSONata sequences are arrays with extra flags; give back plain JSON values. */
function plain(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== "object") return value;
  if (typeof (value as { then?: unknown }).then === "function") return undefined;
  return JSON.parse(JSON.stringify(value));
}

export async function evaluate(
  expression: string,
  scope: TemplateScope,
  path: string,
  timeLimitMs = DEFAULT_TIME_LIMIT_MS,
): Promise<unknown> {
  let compiled: ReturnType<typeof jsonata>;
  try {
    compiled = compile(expression, timeLimitMs);
  } catch (err) {
    throw new TemplateError(expression, path, (err as { message?: string }).message ?? String(err));
  }
  try {
    return plain(await compiled.evaluate(scope));
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const reason = e.code === "D1012" ? `it ran longer than ${timeLimitMs} ms` : (e.message ?? String(err));
    throw new TemplateError(expression, path, reason);
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Renders every template inside a JSON-like value. */
export async function render(
  value: unknown,
  scope: TemplateScope,
  path: string,
  timeLimitMs?: number,
): Promise<unknown> {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole && !whole[1]!.includes("}}")) return evaluate(whole[1]!, scope, path, timeLimitMs);
    if (!value.includes("{{")) return value;
    let out = "";
    let last = 0;
    for (const m of value.matchAll(ANY)) {
      out += value.slice(last, m.index) + asText(await evaluate(m[1]!, scope, path, timeLimitMs));
      last = m.index! + m[0].length;
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(await render(value[i], scope, `${path}[${i}]`, timeLimitMs));
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const rendered = await render(v, scope, `${path}.${k}`, timeLimitMs);
      if (rendered !== undefined) out[k] = rendered;
    }
    return out;
  }
  return value;
}

/** JSONata-like truthiness: empty strings, arrays and objects, 0, null and undefined are false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

/** A condition (`if`, filter) written with or without the braces. */
export async function condition(
  text: unknown,
  scope: TemplateScope,
  path: string,
  timeLimitMs?: number,
): Promise<boolean> {
  if (typeof text === "boolean") return text;
  if (typeof text !== "string") return truthy(text);
  const value = text.includes("{{")
    ? await render(text, scope, path, timeLimitMs)
    : await evaluate(text, scope, path, timeLimitMs);
  if (value === "false") return false;
  return truthy(value);
}

/** Every string holding `{{ }}` inside a value, with its path (for validation). */
export function expressionsIn(value: unknown, path: string): [string, string][] {
  if (typeof value === "string") return value.includes("{{") ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => expressionsIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => expressionsIn(v, `${path}.${k}`));
  return [];
}

/** Environment variables templates may read: only FLOW_* (never keys, secrets or DATABASE_URL). */
export function templateEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith("FLOW_") && v !== undefined) out[k] = v;
  return out;
}
