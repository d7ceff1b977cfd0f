# Helpers for the ocf:hasan:nfs and ocf:hasan:smb lab scenarios (sourced, not a scenario).
# files_ra_install puts /usr/local/bin/hasan-ra into both guests: `hasan-ra AGENT ACTION [k=v]…`
# runs the installed agent the way Pacemaker does (OCF_RESKEY_k=v, a 120 s timeout unless
# CRM_meta_timeout=… is given, OCF_CHECK_LEVEL from the environment).
set -euo pipefail
VIP=10.77.0.100

files_ra_install() {
  local tmp
  tmp=$(mktemp)
  cat > "$tmp" <<'RA'
#!/bin/sh
# hasan-ra AGENT ACTION [name=value]... : run ocf:hasan:AGENT with OCF_RESKEY_name=value (lab test helper)
agent=$1 action=$2; shift 2
for kv in "$@"; do export "OCF_RESKEY_${kv%%=*}=${kv#*=}"; done
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE="${OCF_RESOURCE_INSTANCE:-${agent}test}"
export OCF_RESKEY_CRM_meta_timeout="${OCF_RESKEY_CRM_meta_timeout:-120000}"
exec /usr/lib/ocf/resource.d/hasan/"$agent" "$action"
RA
  for n in node1 node2; do lab copy "$n" "$tmp" /usr/local/bin/hasan-ra 0755 >/dev/null; done
  rm -f "$tmp"
}

# ra NODE AGENT ACTION [k=v]… ; sets RC and OUT (stdout+stderr), never fails itself
ra() {
  local node=$1; shift
  set +e
  OUT=$(lab exec -t 300 "$node" hasan-ra "$@" 2>&1)
  RC=$?
  set -e
  echo "[$node] $* -> $RC"
  [ -z "$OUT" ] || sed 's/^/    /' <<<"$OUT"
}

fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { [ "$RC" -eq "$1" ] || fail "$2: exit $RC, expected $1"; }
reason() { grep '^ocf-exit-reason:' <<<"$OUT" | tail -1 | cut -d: -f2-; }

# Checksums of the node's own files the agents move aside, and the dangling symlinks under the
# directories they link into: what "the node is as it was" means.
NODE_FILES="/etc/exports /etc/nfs.conf /var/lib/nfs/sm /var/lib/nfs/v4recovery /etc/samba/smb.conf /var/lib/samba/private"
node_state() {
  lab exec "$1" "for f in $NODE_FILES; do if [ -L \$f ]; then echo \"\$f is a symlink\"; elif [ -d \$f ]; then echo \"\$f/ \$(cd \$f && find . -type f | sort | xargs -r sha256sum | sha256sum)\"; elif [ -e \$f ]; then sha256sum \$f; else echo \"\$f absent\"; fi; done
    find /etc /etc/samba /var/lib/nfs /var/lib/samba -maxdepth 1 -xtype l -printf 'dangling %p\n'
    ls -d /etc/*.hasan-* /etc/samba/*.hasan-* /var/lib/nfs/*.hasan-* /var/lib/samba/*.hasan-* 2>/dev/null || true"
}

# Count the processes an agent action creates (fork/vfork/clone without CLONE_THREAD, execve
# after the agent's own), with strace -f. Prints the number.
forks() { # forks NODE AGENT-PATH ACTION ENV…
  local node=$1 bin=$2 action=$3; shift 3
  lab exec "$node" "env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_CRM_meta_interval=10000 $* strace -f -qq -o /tmp/forks.trace \
      -e trace=fork,vfork,clone,clone3,execve $bin $action >/dev/null 2>&1; \
    { grep -E 'fork\(|clone3?\(' /tmp/forks.trace | grep -vc CLONE_THREAD; grep -c 'execve(' /tmp/forks.trace; } \
      | { read c; read e; echo \$((c + e - 1)); }"
}
