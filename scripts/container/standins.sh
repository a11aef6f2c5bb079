#!/usr/bin/env bash
# Builds local stand-ins for the public base images the Dockerfile and compose.yaml name
# (node:24-bookworm-slim, postgres:15-bookworm, redis:7-bookworm), for a machine that cannot pull
# from an image registry: a Debian bookworm root made with debootstrap, Node 24 and npm from the
# npm registry (as .ci/run gets Node), PostgreSQL 15 and Redis 7 from Debian's packages. They are
# tagged with the public names, so `podman build` and podman-compose use them without pulling.
#
# Cached: a stand-in whose recipe (the files in standins/) has not changed is kept, and an image of
# that name that is not a stand-in (a real pull) is used as it is. Needs root, podman, debootstrap
# and CONTAINERS_CONF set as scripts/container/podman-env.sh sets it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
label=org.cliniko-flow.standin
recipe=$(cat "$here/standins.sh" "$here"/standins/* | sha256sum | cut -c1-16)
root_image=localhost/cliniko-flow-standin/bookworm:minbase
work=$(mktemp -d "${TMPDIR:-/tmp}/cliniko-flow-standins.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { printf 'standins: %s\n' "$*"; }

# 0: current stand-in or a real image; 1: build it.
needs_build() {
  local name=$1 have
  podman image exists "$name" || return 0
  have=$(podman image inspect --format "{{ index .Labels \"$label\" }}" "$name" 2>/dev/null || true)
  if [ -z "$have" ] || [ "$have" = "<no value>" ]; then
    say "$name is present and not a stand-in: using it"
    return 1
  fi
  [ "$have" != "$recipe" ] || { say "$name: cached"; return 1; }
  return 0
}

build() {
  local name=$1 file=$2 context=$3
  say "building $name"
  podman build --quiet --format docker --label "$label=$recipe" -t "$name" -f "$here/standins/$file" "$context" >/dev/null
}

if ! podman image exists "$root_image"; then
  say "debootstrap --variant=minbase bookworm (about a minute)"
  debootstrap --variant=minbase bookworm "$work/root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/lib/apt/lists/*
  tar -C "$work/root" -c . | podman import --change 'CMD ["bash"]' - "$root_image" >/dev/null
  rm -rf "$work/root"
fi

node_image=docker.io/library/node:24-bookworm-slim
if needs_build "$node_image"; then
  say "Node 24 and npm 11 from the npm registry"
  npm i -g --prefix "$work/node" node@24 >/dev/null 2>&1
  dist="$work/node/lib/node_modules/node/node_modules/node-linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')"
  mkdir -p "$work/node-context/local"
  cp -a "$dist/bin" "$dist/include" "$dist/share" "$work/node-context/local/"
  npm i -g --prefix "$work/node-context/local" npm@11 >/dev/null 2>&1
  # Only the stand-in trusts the machine's CA bundle (an intercepting proxy's CA lives there).
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$work/node-context/ca-bundle.crt"
  build "$node_image" node.Containerfile "$work/node-context"
fi

postgres_image=docker.io/library/postgres:15-bookworm
if needs_build "$postgres_image"; then build "$postgres_image" postgres.Containerfile "$here/standins"; fi

redis_image=docker.io/library/redis:7-bookworm
if needs_build "$redis_image"; then build "$redis_image" redis.Containerfile "$here/standins"; fi
