#!/bin/bash
# heartbeat/ZFS vs ocf:hasan:zpool on the same multihost pool in the same lab run (tests/lab):
# monitor wall time and processes forked, start and stop times (the agents alternate round by round;
# medians and means); prints the ratios, and the phase split of hasan's start and stop (the
# "phase NAME: S s" lines it logs).
# Uses the running lab $LAB_NAME (default "zpool-bench"); if none runs, brings one up (image from the
# cache) and tears it down at the end. ROUNDS (default 8) rounds, MONITORS (default 20).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
export LAB_NAME=${LAB_NAME:-zpool-bench}
LAB="$REPO/tests/lab/lab"
ROUNDS=${ROUNDS:-8}
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
# runs in the guest: $rounds rounds; each round runs one start, $monitors monitors and one stop of
# every agent in turn (the agents alternate, so a slow spell of the guest hits both alike). Prints one
# line per agent: median and mean start ms, median stop ms, mean monitor µs, processes per monitor;
# then hasan's mean phase split.
set -eu
rounds=$1 monitors=$2; shift 2
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bench OCF_RESKEY_pool=labpool
export OCF_RESKEY_CRM_meta_timeout=120000
ms() { echo $(( $(date +%s%N) / 1000000 )); }
: > /tmp/bench.samples; : > /tmp/bench.phases
for _ in $(seq "$rounds"); do
  for agent in "$@"; do
    t=$(ms); "$agent" start 2>>/tmp/bench.phases.$$; start=$(( $(ms) - t ))
    export OCF_RESKEY_CRM_meta_interval=10000
    t=$(ms)
    for _ in $(seq "$monitors"); do "$agent" monitor 2>/dev/null; done
    mon=$(( $(ms) - t ))
    unset OCF_RESKEY_CRM_meta_interval
    t=$(ms); "$agent" stop 2>>/tmp/bench.phases.$$; stop=$(( $(ms) - t ))
    echo "$agent $start $stop $mon" >> /tmp/bench.samples
    case $agent in */hasan/*) cat /tmp/bench.phases.$$ >> /tmp/bench.phases ;; esac
    rm -f /tmp/bench.phases.$$
  done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for agent in "$@"; do
  "$agent" start 2>/dev/null
  export OCF_RESKEY_CRM_meta_interval=10000
  strace -f -qq -e trace=execve -o /tmp/bench.strace "$agent" monitor 2>/dev/null
  forks=$(( $(cut -d' ' -f1 /tmp/bench.strace | sort -u | wc -l) - 1 ))
  unset OCF_RESKEY_CRM_meta_interval
  "$agent" stop 2>/dev/null
  mine=$(grep "^$agent " /tmp/bench.samples)
  echo "$(awk '{ print $2 }' <<<"$mine" | median)" \
    "$(awk '{ s += $2 } END { printf "%d", s / NR }' <<<"$mine")" \
    "$(awk '{ print $3 }' <<<"$mine" | median)" \
    "$(awk -v m="$monitors" '{ s += $4 } END { printf "%d", s * 1000 / (NR * m) }' <<<"$mine")" "$forks"
done
rm -f /tmp/bench.strace /tmp/bench.samples
# mean ms per phase over the rounds, in the order first seen
grep -o 'phase [a-z]*: [0-9.]* s' /tmp/bench.phases | awk -v r="$rounds" '
  { n = $2; sub(":", "", n); if (!(n in ms)) order[++k] = n; ms[n] += $3 * 1000 }
  END { for (i = 1; i <= k; i++) printf "%s %d ", order[i], ms[order[i]] / r; print "" }'
rm -f /tmp/bench.phases
GUEST
"$LAB" copy node1 "$guest" /usr/local/bin/zpool-bench 0755 >/dev/null
rm -f "$guest"

out=$("$LAB" exec -t 3600 node1 \
  "zpool-bench $ROUNDS $MONITORS /usr/lib/ocf/resource.d/heartbeat/ZFS /usr/lib/ocf/resource.d/hasan/zpool")
read -r hs hsm ht hm hf <<<"$(sed -n 1p <<<"$out")"
read -r zs zsm zt zm zf <<<"$(sed -n 2p <<<"$out")"
phases=$(sed -n 3p <<<"$out")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }
printf '\nbench zpool (lab %s, node1, pool labpool on the shared disk, %d rounds alternating the agents, %d monitors each)\n' \
  "$LAB_NAME" "$ROUNDS" "$MONITORS"
printf '%-26s %14s %14s %10s\n' "" "heartbeat/ZFS" "hasan/zpool" "ratio"
printf '%-26s %14s %14s %10s\n' "start, median (ms)" "$hs" "$zs" "$(ratio "$hs" "$zs")"
printf '%-26s %14s %14s %10s\n' "start, mean (ms)" "$hsm" "$zsm" "$(ratio "$hsm" "$zsm")"
printf '%-26s %14s %14s %10s\n' "stop, median (ms)" "$ht" "$zt" "$(ratio "$ht" "$zt")"
printf '%-26s %14s %14s %10s\n' "monitor, mean (µs)" "$hm" "$zm" "$(ratio "$hm" "$zm")"
printf '%-26s %14s %14s %10s\n' "processes per monitor" "$hf" "$zf" "$(ratio "$hf" "$zf")"
printf '\nhasan/zpool phases, mean ms per start/stop (the export phase counts in both):\n'
set -- $phases
while [ $# -ge 2 ]; do printf '  %-12s %8s\n' "$1" "$2"; shift 2; done
[ "$own_lab" -eq 1 ] || echo "(lab $LAB_NAME left running)"
