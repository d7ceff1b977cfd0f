#!/bin/bash
# Stock ocf:heartbeat:iSCSITarget + 16 × ocf:heartbeat:iSCSILogicalUnit (implementation=lio-t,
# targetcli) vs ocf:hasan:iscsi exporting the same 16 zvols, in the same lab run (tests/lab):
# start, stop and monitor wall time and processes forked per monitor; prints the ratios.
# Uses the running lab $LAB_NAME (default "iscsi-bench"); if none runs, brings one up (image from
# the cache) and tears it down at the end. ROUNDS (default 1: the stock start takes minutes under
# TCG) start/stop cycles, MONITORS (default 10) monitors per round.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
export LAB_NAME=${LAB_NAME:-iscsi-bench}
LAB="$REPO/tests/lab/lab"
ROUNDS=${ROUNDS:-1}
MONITORS=${MONITORS:-10}
LUNS=16
own_lab=0
if ! "$LAB" exec node1 true >/dev/null 2>&1; then
  own_lab=1
  trap '"$LAB" down >/dev/null 2>&1 || true' EXIT
  "$LAB" build && "$LAB" up && "$LAB" install-hasan
fi
"$LAB" install-hasan >/dev/null
"$LAB" pool-create labpool >/dev/null
"$LAB" exec node1 "zpool import -o cachefile=none labpool && ip addr add 10.77.0.100/24 dev eth0 \
  && for i in \$(seq 0 $((LUNS - 1))); do zfs create -p -V 8M labpool/bench/lu\$i; done && udevadm settle"

guest=$(mktemp)
cat > "$guest" <<'GUEST'
#!/bin/bash
# runs in the guest: iscsi-bench stock|hasan ROUNDS MONITORS LUNS -> "start_ms stop_ms monitor_ms forks"
set -eu
kind=$1 rounds=$2 monitors=$3 luns=$4
RA=/usr/lib/ocf/resource.d
IQN=iqn.2024-01.local.lab:bench INI=iqn.2024-01.local.lab:node2
export OCF_ROOT=/usr/lib/ocf OCF_RESKEY_CRM_meta_timeout=600000
ms() { echo $(( $(date +%s%N) / 1000000 )); }
target() { OCF_RESOURCE_INSTANCE=tgt OCF_RESKEY_implementation=lio-t OCF_RESKEY_iqn=$IQN \
  OCF_RESKEY_portals=10.77.0.100:3260 OCF_RESKEY_allowed_initiators=$INI "$RA/heartbeat/iSCSITarget" "$1"; }
lu() { OCF_RESOURCE_INSTANCE=lu$2 OCF_RESKEY_implementation=lio-t OCF_RESKEY_target_iqn=$IQN \
  OCF_RESKEY_lun=$2 OCF_RESKEY_path=/dev/zvol/labpool/bench/lu$2 OCF_RESKEY_allowed_initiators=$INI \
  "$RA/heartbeat/iSCSILogicalUnit" "$1"; }
hasan() { OCF_RESOURCE_INSTANCE=tgt OCF_RESKEY_iqn=$IQN OCF_RESKEY_portals=10.77.0.100:3260 \
  OCF_RESKEY_luns=labpool/bench OCF_RESKEY_allowed_initiators=$INI "$RA/hasan/iscsi" "$1"; }
act() { # act ACTION: the whole stack
  if [ "$kind" = hasan ]; then hasan "$1"; return; fi
  case $1 in
    start) target start; for i in $(seq 0 $((luns - 1))); do lu start "$i"; done ;;
    stop) for i in $(seq $((luns - 1)) -1 0); do lu stop "$i"; done; target stop ;;
    monitor) target monitor; for i in $(seq 0 $((luns - 1))); do lu monitor "$i"; done ;;
  esac
}
start_ms=0 stop_ms=0 mon_ms=0
for _ in $(seq "$rounds"); do
  t=$(ms); act start >/dev/null 2>&1; start_ms=$((start_ms + $(ms) - t))
  export OCF_RESKEY_CRM_meta_interval=10000
  t=$(ms); for _ in $(seq "$monitors"); do act monitor >/dev/null 2>&1; done; mon_ms=$((mon_ms + $(ms) - t))
  strace -f -qq -e trace=execve -o /tmp/bench.strace bash -c "$(declare -f target lu hasan act); kind=$kind luns=$luns RA=$RA IQN=$IQN INI=$INI act monitor" >/dev/null 2>&1
  # processes besides the shell running the loop and the agent(s) it starts
  forks=$(( $(cut -d' ' -f1 /tmp/bench.strace | sort -u | wc -l) - 1 - $( [ "$kind" = hasan ] && echo 1 || echo $((luns + 1)) ) ))
  [ "$forks" -ge 0 ] || forks=0
  unset OCF_RESKEY_CRM_meta_interval
  t=$(ms); act stop >/dev/null 2>&1; stop_ms=$((stop_ms + $(ms) - t))
done
rm -f /tmp/bench.strace
echo "$((start_ms / rounds)) $((stop_ms / rounds)) $((mon_ms / (rounds * monitors))) $forks"
GUEST
"$LAB" copy node1 "$guest" /usr/local/bin/iscsi-bench 0755 >/dev/null
rm -f "$guest"

declare -A R
for k in stock hasan; do
  R[$k]=$("$LAB" exec -t 3600 node1 "iscsi-bench $k $ROUNDS $MONITORS $LUNS")
done
"$LAB" exec node1 "ip addr del 10.77.0.100/24 dev eth0; zpool export labpool" >/dev/null 2>&1 || true
read -r ss st sm sf <<<"${R[stock]}"
read -r hs ht hm hf <<<"${R[hasan]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.1f", a / b }'; }
printf '\nbench iscsi (lab %s, node1, %d zvols, %d cycles, %d monitors each)\n' "$LAB_NAME" "$LUNS" "$ROUNDS" "$MONITORS"
printf '%-30s %16s %14s %10s\n' "" "stock (1+$LUNS RAs)" "hasan/iscsi" "ratio"
printf '%-30s %16s %14s %10s\n' "start (ms)" "$ss" "$hs" "$(ratio "$ss" "$hs")"
printf '%-30s %16s %14s %10s\n' "stop (ms)" "$st" "$ht" "$(ratio "$st" "$ht")"
printf '%-30s %16s %14s %10s\n' "monitor of the stack (ms)" "$sm" "$hm" "$(ratio "$sm" "$hm")"
printf '%-30s %16s %14s %10s\n' "processes forked per monitor" "$sf" "$hf" "$(ratio "$sf" "$hf")"
[ "$own_lab" -eq 1 ] || echo "(lab $LAB_NAME left running)"
