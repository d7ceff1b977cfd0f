#!/usr/bin/env bash
# Benchmark: ocf:heartbeat:IPaddr2 vs ocf:hasan:vip monitor on the same address of the same veth,
# in a network namespace this script creates and removes. Prints processes forked per monitor
# (strace -f: fork/vfork/clone/clone3) and wall time per monitor, side by side, with the ratios.
# A benchmark, not a test: `make bench` runs it; `make test` does not.
# Usage: bench/vip.sh [N]   (N monitors per agent for the timing, default 200)
set -euo pipefail

N=${1:-200}
NS=hasan-vip-bench-$$
NIC=benchvip0
PEER=benchpeer0
IP=192.0.2.60
CIDR=24
IPADDR2=/usr/lib/ocf/resource.d/heartbeat/IPaddr2
VIP=/usr/lib/ocf/resource.d/hasan/vip

[ "$(id -u)" = 0 ] || { echo "bench/vip.sh: must run as root (namespaces)" >&2; exit 1; }
for t in /usr/sbin/ip /usr/bin/strace "$IPADDR2" "$VIP"; do
  [ -x "$t" ] || { echo "bench/vip.sh: $t missing (make install; apt-get install resource-agents strace iproute2)" >&2; exit 1; }
done

cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -f "${TRACE:-}"; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add "$NIC" type veth peer name "$PEER"
ip -n "$NS" link set "$NIC" up
ip -n "$NS" link set "$PEER" up
ip -n "$NS" addr add "$IP/$CIDR" dev "$NIC"
TRACE=$(mktemp /tmp/hasan-vip-bench.XXXXXX)

# The environment Pacemaker gives a recurring monitor; runs "$@" inside the namespace with it.
in_ns() {
  ip netns exec "$NS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin OCF_ROOT=/usr/lib/ocf \
    OCF_RESOURCE_INSTANCE=bench OCF_RESKEY_CRM_meta_interval=10000 OCF_RESKEY_CRM_meta_timeout=20000 \
    HA_LOGFACILITY=none OCF_RESKEY_ip=$IP OCF_RESKEY_cidr_netmask=$CIDR OCF_RESKEY_nic=$NIC "$@"
}

forks() { # agent → processes forked by one monitor
  in_ns strace -f -qq -e trace=fork,vfork,clone,clone3 -o "$TRACE" "$1" monitor >/dev/null 2>&1 \
    || { echo "monitor of $1 failed" >&2; exit 1; }
  grep -cE '(fork|vfork|clone|clone3)\(' "$TRACE" || true
}

wall_ms() { # agent → milliseconds per monitor over N runs (one loop inside the namespace)
  local t0 t1
  t0=$(date +%s%N)
  in_ns /bin/bash -c 'for ((i = 0; i < $1; i++)); do "$0" monitor >/dev/null 2>&1 || exit 1; done' "$1" "$N" \
    || { echo "monitor of $1 failed" >&2; exit 1; }
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / 1e6 / n }'
}

f_stock=$(forks "$IPADDR2"); f_hasan=$(forks "$VIP")
t_stock=$(wall_ms "$IPADDR2"); t_hasan=$(wall_ms "$VIP")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf (hasan: 0)"; else printf "%.1fx", a / b }'; }
printf '\nmonitor of %s/%s on a veth in netns %s, %d runs each\n\n' "$IP" "$CIDR" "$NS" "$N"
printf '%-26s %16s %16s %16s\n' "" "heartbeat:IPaddr2" "hasan:vip" "ratio"
printf '%-26s %16s %16s %16s\n' "processes forked/monitor" "$f_stock" "$f_hasan" "$(ratio "$f_stock" "$f_hasan")"
printf '%-26s %16s %16s %16s\n' "wall time/monitor (ms)" "$t_stock" "$t_hasan" "$(ratio "$t_stock" "$t_hasan")"
