#!/usr/bin/env bash
# `npm run test:container`: builds the repository's Dockerfile as a user would and tests the image
# and compose.yaml with podman (test/container/*.container.ts): one container on SQLite, the
# compose stack on PostgreSQL + Redis, non-root with a read-only root. Base images come from
# scripts/container/standins.sh when no registry is reachable. Not part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
if [ "$(id -u)" != 0 ]; then
  echo "test:container: run it as root: debootstrap and the rootful podman it uses need root." >&2
  exit 1
fi

missing=()
for pkg in podman buildah podman-compose runc netavark aardvark-dns debootstrap; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test:container: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# shellcheck source=podman-env.sh
source scripts/container/podman-env.sh
trap 'rm -rf "${cliniko_flow_podman_dir:-}"' EXIT

bash scripts/container/standins.sh
export CLINIKO_FLOW_IMAGE=localhost/cliniko-flow:test
echo "test:container: podman build --format docker -t $CLINIKO_FLOW_IMAGE ."
previous=$(podman image inspect --format '{{.Id}}' "$CLINIKO_FLOW_IMAGE" 2>/dev/null || true)
# --format docker: the OCI format podman defaults to has no HEALTHCHECK.
podman build --quiet --format docker -t "$CLINIKO_FLOW_IMAGE" . >/dev/null
current=$(podman image inspect --format '{{.Id}}' "$CLINIKO_FLOW_IMAGE")
# The image this build replaced (its build cache stays for the next build).
[ -z "$previous" ] || [ "$previous" = "$current" ] || podman rmi "$previous" >/dev/null 2>&1 || true
size=$(podman image inspect --format '{{.Size}}' "$CLINIKO_FLOW_IMAGE")
base=$(podman image inspect --format '{{.Size}}' docker.io/library/node:24-bookworm-slim)
echo "test:container: image $((size / 1000000)) MB ($(((size - base) / 1000000)) MB over node:24-bookworm-slim)"
built=$(date +%s)

status=0
# The Node that runs npm (the suite needs one that runs TypeScript: 22.18 or later).
TEST_CONCURRENCY=1 "${npm_node_execpath:-node}" scripts/run-tests.ts 'test/container/*.container.ts' || status=$?
echo "test:container: images $((built - started)) s, tests $(($(date +%s) - built)) s"
exit $status
