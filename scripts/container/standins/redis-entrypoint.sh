#!/bin/bash
# The public redis image's contract, in short: drop to `redis` owning /data, and a bare
# `redis-server` (no config file) listens on every interface with protected mode off.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then
  chown -R redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "${1:-}" = redis-server ]; then
  shift
  exec redis-server --bind '* -::*' --protected-mode no "$@"
fi
exec "$@"
