/**
 * Settings templates read as `env.FLOW_…`: saved in the web UI (the store) or set as environment
 * variables, which win. Read fresh for each run, so a setting saved a moment ago is used at once.
 */
import { templateEnv } from "../expressions/template.ts";
import type { Store } from "../store/index.ts";
import { settingMissingMessage, settingsReadBy } from "./activation.ts";
import { allSteps, type WorkflowDefinition } from "./workflow.ts";

/** A step read a setting that has no value (in the web UI or the environment). */
export class SettingMissingError extends Error {
  override name = "SettingMissingError";
  readonly setting: string;
  constructor(setting: string) {
    super(`${settingMissingMessage(setting)}, then replay the run.`);
    this.setting = setting;
  }
}

/** What a run's templates see as `env`, and the values to cut out of what is recorded. */
export interface RunSettings {
  env: Record<string, string>;
  /** Values of settings saved as secret. */
  secrets: string[];
}

/** The settings as a run sees them now: saved ones, overridden by FLOW_* environment variables. */
export async function runSettings(store: Pick<Store, "settings">, env: NodeJS.ProcessEnv): Promise<RunSettings> {
  const saved = await store.settings.values();
  return { env: { ...saved.values, ...templateEnv(env) }, secrets: saved.secrets };
}

/** Whether a setting has a value (the activation check's `settingExists`). */
export function settingExists(store: Pick<Store, "settings">, env: NodeJS.ProcessEnv = process.env) {
  return async (name: string): Promise<boolean> => {
    const fromEnv = env[name];
    if (name.startsWith("FLOW_") && fromEnv !== undefined && fromEnv !== "") return true;
    return store.settings.has(name);
  };
}

/** Every setting a workflow's templates read, nested steps included. */
export function settingsReadByWorkflow(def: WorkflowDefinition): string[] {
  return [...new Set(allSteps(def.steps).flatMap(({ step }) => settingsReadBy(step)))].sort();
}
