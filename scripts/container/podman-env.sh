# Sourced by the container scripts: podman as this kind of machine needs it. Root here lacks
# CAP_SYS_RESOURCE and the cgroups are hybrid, so crun fails: use runc, with default ulimits within
# the host's hard limits, through a containers.conf in a temp dir that CONTAINERS_CONF points at.
# An operator's own CONTAINERS_CONF is left alone.
if [ -z "${CONTAINERS_CONF:-}" ]; then
  cliniko_flow_podman_dir=$(mktemp -d "${TMPDIR:-/tmp}/cliniko-flow-podman.XXXXXX")
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] || [ "$nofile" -gt 20000 ] && nofile=20000
  cat >"$cliniko_flow_podman_dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=1000:1000"]
[engine]
runtime = "runc"
CONF
  export CONTAINERS_CONF="$cliniko_flow_podman_dir/containers.conf"
fi
