/**
 * What the container suite drives: podman and podman-compose (under the CONTAINERS_CONF that
 * scripts/container/test-container.sh sets), the API of a container through its port published on
 * 127.0.0.1, and waiting for a condition with a deadline.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** The image under test: the repository's Dockerfile, built by the script. */
export const IMAGE = process.env.CLINIKO_FLOW_IMAGE ?? "localhost/cliniko-flow:test";

export async function podman(...args: string[]): Promise<string> {
  const { stdout } = await exec("podman", args, { maxBuffer: 64 << 20 });
  return stdout.trim();
}

/** A container's output, stdout and stderr (where the JSON log lines go). */
export async function logs(name: string): Promise<string> {
  const { stdout, stderr } = await exec("podman", ["logs", name], { maxBuffer: 64 << 20 });
  return `${stdout}${stderr}`;
}

/** `podman …` that may fail (removing what may not exist); resolves either way. */
export async function podmanQuiet(...args: string[]): Promise<void> {
  await exec("podman", args).catch(() => {});
}

/** podman-compose in `cwd` (where its `.env` is) on `files`, with `env` added to the environment. */
export async function compose(
  cwd: string,
  project: string,
  files: string[],
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const fileArgs = files.flatMap((f) => ["-f", f]);
  const { stdout } = await exec("podman-compose", ["-p", project, ...fileArgs, ...args], {
    cwd,
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  return stdout;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Calls `probe` until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The HTTP API as a browser session: the cookie from /api/login and the CSRF header. */
export class Api {
  cookie = "";
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }

  async healthy(): Promise<boolean> {
    return (await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(5000) })).status === 200;
  }

  async login(password: string): Promise<void> {
    const res = await this.request("POST", "/api/login", { password });
    this.cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        cookie: this.cookie,
        "x-cliniko-flow": "1",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }

  async get<T>(path: string): Promise<T> {
    return (await (await this.request("GET", path)).json()) as T;
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return (await (await this.request("POST", path, body)).json()) as T;
  }
}

export interface RunRow {
  id: number;
  workflow: string;
  status: string;
  eventKey: string;
  finishedAt: string | null;
}
