/**
 * A throwaway PostgreSQL server for one test file, from Debian's binaries: initdb into a temp dir,
 * pg_ctl start on a free port with its socket inside that dir, stop and delete afterwards.
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (or `nobody`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, globSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skipUnlessAvailable } from "./skip.ts";

function binDir(): string | undefined {
  const dirs = globSync("/usr/lib/postgresql/*/bin").sort();
  return dirs.find((d) => existsSync(join(d, "initdb")) && existsSync(join(d, "pg_ctl")));
}

/** Reason to skip the suite, or false when PostgreSQL can be started. */
export function postgresSkip(): string | false {
  return skipUnlessAvailable(
    "PostgreSQL",
    binDir() !== undefined,
    "apt-get install -y postgresql (see .ci/apt-packages)",
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

function runUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    const r = spawnSync("id", ["-u", name], { encoding: "utf8" });
    const g = spawnSync("id", ["-g", name], { encoding: "utf8" });
    if (r.status === 0) return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()), name };
  }
  return undefined;
}

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  if (!bin) throw new Error("PostgreSQL binaries not found");
  const dir = mkdtempSync(join(tmpdir(), "cliniko-flow-pg-"));
  chmodSync(dir, 0o755);
  const data = join(dir, "data");
  const user = runUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = (cmd: string, args: string[]) =>
    user
      ? execFileSync("runuser", ["-u", user.name, "--", cmd, ...args], { stdio: "pipe" })
      : execFileSync(cmd, args, { stdio: "pipe" });
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, "test\n");
  if (user) chownSync(pwfile, user.uid, user.gid);
  as(join(bin, "initdb"), ["-D", data, "-U", "flow", "--pwfile", pwfile, "-A", "md5", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -h 127.0.0.1 -F -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;
  as(join(bin, "pg_ctl"), ["-D", data, "-o", opts, "-l", join(dir, "log"), "-w", "start"]);
  return {
    url: `postgres://flow:test@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        as(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
