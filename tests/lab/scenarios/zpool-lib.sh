# Helpers for the ocf:hasan:zpool lab scenarios (sourced, not a scenario: no NN- prefix).
# ra NODE ACTION [name=value]…  runs the installed agent in the guest the way Pacemaker does
# (OCF_RESKEY_name=value, OCF_ROOT, a 120 s timeout unless CRM_meta_timeout=… is given) and exits
# with its code; stderr (log + ocf-exit-reason) is passed through.
set -euo pipefail

zpool_ra_install() {
  local tmp
  tmp=$(mktemp)
  cat > "$tmp" <<'RA'
#!/bin/sh
# zpool-ra ACTION [name=value]... : run ocf:hasan:zpool with OCF_RESKEY_name=value (lab test helper)
action=$1; shift
for kv in "$@"; do export "OCF_RESKEY_${kv%%=*}=${kv#*=}"; done
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE="${OCF_RESOURCE_INSTANCE:-zpooltest}"
export OCF_RESKEY_CRM_meta_timeout="${OCF_RESKEY_CRM_meta_timeout:-120000}"
exec /usr/lib/ocf/resource.d/hasan/zpool "$action"
RA
  for n in node1 node2; do lab copy "$n" "$tmp" /usr/local/bin/zpool-ra 0755 >/dev/null; done
  rm -f "$tmp"
}

# ra NODE ACTION [k=v]… ; sets RC and OUT (stdout+stderr), never fails itself (and leaves the
# caller's errexit setting as it was)
ra() {
  local node=$1 errexit=$-; shift
  set +e
  OUT=$(lab exec -t 300 "$node" zpool-ra "$@" 2>&1)
  RC=$?
  [[ $errexit != *e* ]] || set -e
  echo "[$node] zpool $* -> $RC"
  [ -z "$OUT" ] || sed 's/^/    /' <<<"$OUT"
}

fail() { echo "FAIL: $*"; exit 1; }

expect_rc() { # expect_rc WANT WHAT
  [ "$RC" -eq "$1" ] || fail "$2: exit $RC, expected $1"
}

# the pools imported on NODE, one per line
imported() { lab exec "$1" 'zpool list -H -o name'; }

# the one ocf-exit-reason line of the last ra call
reason() { grep '^ocf-exit-reason:' <<<"$OUT" | tail -1 | cut -d: -f2-; }
