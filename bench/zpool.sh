#!/bin/bash
# heartbeat/ZFS vs ocf:hasan:zpool on the same multihost pool in the same lab run (tests/lab):
# monitor wall time and processes forked, start and stop times; prints the ratios, and the phase
# split of hasan's start and stop (the "phase NAME: S s" lines it logs).
# Uses the running lab $LAB_NAME (default "zpool-bench"); if none runs, brings one up (image from the
# cache) and tears it down at the end. ROUNDS (default 5) start/stop cycles, MONITORS (default 20).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
export LAB_NAME=${LAB_NAME:-zpool-bench}
LAB="$REPO/tests/lab/lab"
ROUNDS=${ROUNDS:-5}
MONITORS=${MONITORS:-20}
own_lab=0
if ! "$LAB" exec node1 true >/dev/null 2>&1; then
  own_lab=1
  trap '"$LAB" down >/dev/null 2>&1 || true' EXIT
  "$LAB" build && "$LAB" up && "$LAB" install-hasan
fi
"$LAB" install-hasan >/dev/null
"$LAB" pool-create labpool >/dev/null

guest=$(mktemp)
cat > "$guest" <<'GUEST'
#!/bin/bash
# runs in the guest: one agent, $ROUNDS start/stop cycles and $MONITORS monitors
set -eu
agent=$1 rounds=$2 monitors=$3
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bench OCF_RESKEY_pool=labpool
export OCF_RESKEY_CRM_meta_timeout=120000
ms() { echo $(( $(date +%s%N) / 1000000 )); }
start_ms=0 stop_ms=0 mon_ms=0
: > /tmp/bench.phases
for _ in $(seq "$rounds"); do
  t=$(ms); "$agent" start 2>>/tmp/bench.phases; start_ms=$((start_ms + $(ms) - t))
  export OCF_RESKEY_CRM_meta_interval=10000
  t=$(ms)
  for _ in $(seq "$monitors"); do "$agent" monitor 2>/dev/null; done
  mon_ms=$((mon_ms + $(ms) - t))
  unset OCF_RESKEY_CRM_meta_interval
  t=$(ms); "$agent" stop 2>>/tmp/bench.phases; stop_ms=$((stop_ms + $(ms) - t))
done
"$agent" start 2>/dev/null
export OCF_RESKEY_CRM_meta_interval=10000
strace -f -qq -e trace=execve -o /tmp/bench.strace "$agent" monitor 2>/dev/null
forks=$(( $(cut -d' ' -f1 /tmp/bench.strace | sort -u | wc -l) - 1 ))
unset OCF_RESKEY_CRM_meta_interval
"$agent" stop 2>/dev/null
rm -f /tmp/bench.strace
echo "$((start_ms / rounds)) $((stop_ms / rounds)) $((mon_ms * 1000 / (rounds * monitors))) $forks"
# mean ms per phase over the rounds, in the order first seen
grep -o 'phase [a-z]*: [0-9.]* s' /tmp/bench.phases | awk -v r="$rounds" '
  { n = $2; sub(":", "", n); if (!(n in ms)) order[++k] = n; ms[n] += $3 * 1000 }
  END { for (i = 1; i <= k; i++) printf "%s %d ", order[i], ms[order[i]] / r; print "" }'
rm -f /tmp/bench.phases
GUEST
"$LAB" copy node1 "$guest" /usr/local/bin/zpool-bench 0755 >/dev/null
rm -f "$guest"

declare -A R
for a in heartbeat/ZFS hasan/zpool; do
  R[$a]=$("$LAB" exec -t 1200 node1 "zpool-bench /usr/lib/ocf/resource.d/$a $ROUNDS $MONITORS")
done
read -r hs ht hm hf <<<"$(head -1 <<<"${R[heartbeat/ZFS]}")"
read -r zs zt zm zf <<<"$(head -1 <<<"${R[hasan/zpool]}")"
phases=$(sed -n 2p <<<"${R[hasan/zpool]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.1f", a / b }'; }
printf '\nbench zpool (lab %s, node1, pool labpool on the shared disk, %d cycles, %d monitors each)\n' \
  "$LAB_NAME" "$ROUNDS" "$MONITORS"
printf '%-26s %14s %14s %10s\n' "" "heartbeat/ZFS" "hasan/zpool" "ratio"
printf '%-26s %14s %14s %10s\n' "start (ms)" "$hs" "$zs" "$(ratio "$hs" "$zs")"
printf '%-26s %14s %14s %10s\n' "stop (ms)" "$ht" "$zt" "$(ratio "$ht" "$zt")"
printf '%-26s %14s %14s %10s\n' "monitor (µs)" "$hm" "$zm" "$(ratio "$hm" "$zm")"
printf '%-26s %14s %14s %10s\n' "processes per monitor" "$hf" "$zf" "$(ratio "$hf" "$zf")"
printf '\nhasan/zpool phases, mean ms per start/stop (the export phase counts in both):\n'
set -- $phases
while [ $# -ge 2 ]; do printf '  %-12s %8s\n' "$1" "$2"; shift 2; done
[ "$own_lab" -eq 1 ] || echo "(lab $LAB_NAME left running)"
