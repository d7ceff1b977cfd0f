#!/usr/bin/env bash
# Benchmark (not a test): Debian's fence_ipmilan vs hasan's fence_hasan_ipmi against the same
# ipmi_sim BMC on 127.0.0.1, whose chassis power is a real process. Prints the mean wall time of
# status, off, on and reboot for each agent and the ratio stock/hasan.
# Usage: bench/fence_ipmi.sh [runs]   (default 5; BENCH_UNREACHABLE=1 adds the unreachable-BMC case)
set -euo pipefail
RUNS=${1:-5}
PORT=${BENCH_FENCE_PORT:-16430}
STOCK=/usr/sbin/fence_ipmilan
OURS=/usr/sbin/fence_hasan_ipmi
for t in /usr/bin/ipmi_sim "$STOCK" "$OURS"; do
  [ -x "$t" ] || { echo "bench: $t missing (make deps install)" >&2; exit 1; }
done
DIR=$(mktemp -d /tmp/fence-bench.XXXXXX)
SIM=
cleanup() {
  set +e
  if [ -n "$SIM" ]; then kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null; fi
  if [ -f "$DIR/machine.pid" ]; then kill "$(cat "$DIR/machine.pid")" 2>/dev/null; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
# The BMC the host tests use: chassis control program (power = whether a process lives), LAN
# configuration and emulator commands.
SUPPORT="$(dirname "$0")/../tests/host/tests/fence_support"
cp "$SUPPORT/chassis.sh" "$DIR/chassis"
chmod +x "$DIR/chassis"
mkdir "$DIR/state"
sed -e "s|@PORT@|$PORT|" -e "s|@BMC_KEY_LINE@||" -e "s|@CHASSIS@|$DIR/chassis|" -e "s|@DIR@|$DIR|" \
    -e "s|@USER@|admin|" -e "s|@PASSWORD@|bench-pw|" "$SUPPORT/lan.conf.in" > "$DIR/lan.conf"
cp "$SUPPORT/bmc.emu" "$DIR/bmc.emu"
/usr/bin/ipmi_sim -c "$DIR/lan.conf" -f "$DIR/bmc.emu" -s "$DIR/state" -n </dev/null >/dev/null 2>&1 &
SIM=$!
sleep 1

# Each agent gets the same parameters on stdin, as Pacemaker passes them (stock defaults kept,
# so fence_ipmilan sleeps its default power_wait; ours verifies instead).
stdin_for() {
  local agent=$1 action=$2 port=${3:-$PORT}
  printf 'action=%s\nip=127.0.0.1\nipport=%s\nusername=admin\npassword=bench-pw\nlanplus=1\ncipher=3\n' "$action" "$port"
  [ "$agent" = "$OURS" ] && printf 'login_timeout=5\n'
  return 0
}
one() { # agent action [port] -> seconds
  local s e
  s=$(date +%s.%N)
  stdin_for "$@" | PYTHONWARNINGS=ignore "$1" >/dev/null 2>&1 || true
  e=$(date +%s.%N)
  echo "$s $e" | awk '{printf "%.3f", $2 - $1}'
}
prepare() { # make the machine on or off with our agent before a timed action
  stdin_for "$OURS" "$1" | "$OURS" >/dev/null 2>&1 || true
}
mean() { awk '{ s += $1 } END { printf "%.3f", s / NR }'; }

printf '%-10s %12s %12s %8s   (mean of %s runs, ipmi_sim on 127.0.0.1:%s)\n' action fence_ipmilan hasan ratio "$RUNS" "$PORT"
for action in status off on reboot; do
  declare -A t=()
  for agent in "$STOCK" "$OURS"; do
    for _ in $(seq "$RUNS"); do
      case $action in off|reboot) prepare on ;; on) prepare off ;; esac
      one "$agent" "$action"; echo
    done > "$DIR/times"
    t[$agent]=$(mean < "$DIR/times")
  done
  printf '%-10s %11ss %11ss %7sx\n' "$action" "${t[$STOCK]}" "${t[$OURS]}" \
    "$(awk -v a="${t[$STOCK]}" -v b="${t[$OURS]}" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
done
if [ "${BENCH_UNREACHABLE:-0}" = 1 ]; then
  a=$(one "$STOCK" status 16439); b=$(one "$OURS" status 16439)
  printf '%-10s %11ss %11ss %7sx   (nothing listens on 16439)\n' unreachable "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
fi
