#!/usr/bin/env bash
# Benchmark (not a test): off-to-confirmed time of fence_hasan_plug per plug_type against the device
# emulators of the host tests on 127.0.0.1 — the wall time of `off` (command sent, state read back
# as off, agent exited) with the plug on before each run. No stock agent exists to compare with
# (fence-agents has only fence_shelly_gen2, not in Debian 12), so no ratio.
# Usage: bench/fence_plug.sh [runs]   (default 5)
set -euo pipefail
RUNS=${1:-5}
AGENT=/usr/sbin/fence_hasan_plug
EMU="$(cd "$(dirname "$0")/.." && pwd)/tests/host/tests/plug_support/plug_emu.py"
for t in /usr/bin/python3 "$AGENT" "$EMU"; do
  [ -e "$t" ] || { echo "bench: $t missing (make deps install)" >&2; exit 1; }
done
DIR=$(mktemp -d /tmp/fence-plug-bench.XXXXXX)
EMU_PID=
cleanup() {
  set +e
  if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
export PLUG_EMU_PASSWORD=bench-plug-pw

stdin_for() { # type port action
  printf 'action=%s\nplug_type=%s\nip=127.0.0.1\nipport=%s\n' "$3" "$1" "$2"
  case "$1" in
    tasmota | shelly2) printf 'password=%s\n' "$PLUG_EMU_PASSWORD" ;;
    shelly1) printf 'username=admin\npassword=%s\n' "$PLUG_EMU_PASSWORD" ;;
    esphome) printf 'username=admin\npassword=%s\nplug=relay\n' "$PLUG_EMU_PASSWORD" ;;
    http) printf 'username=admin\npassword=%s\npower_on_url=/api/relay/on\npower_off_url=/api/relay/off\nstatus_url=/api/relay/status\nstatus_on_regex=relay=ON\nstatus_off_regex=relay=OFF\n' "$PLUG_EMU_PASSWORD" ;;
  esac
}

printf '%-8s %10s %10s   (off to confirmed off, mean and max of %s runs, emulator on 127.0.0.1)\n' type mean max "$RUNS"
for type in tasmota shelly1 shelly2 esphome kasa http; do
  if [ "$type" = kasa ]; then env -u PLUG_EMU_PASSWORD /usr/bin/python3 "$EMU" --type "$type" >"$DIR/port" &
  else /usr/bin/python3 "$EMU" --type "$type" >"$DIR/port" &
  fi
  EMU_PID=$!
  for _ in $(seq 50); do grep -q '^PORT ' "$DIR/port" 2>/dev/null && break; sleep 0.1; done
  port=$(awk '/^PORT / { print $2 }' "$DIR/port")
  [ -n "$port" ] || { echo "bench: the $type emulator did not start" >&2; exit 1; }
  : >"$DIR/times"
  for _ in $(seq "$RUNS"); do
    stdin_for "$type" "$port" on | "$AGENT" >/dev/null 2>&1 || { echo "bench: $type on failed" >&2; exit 1; }
    s=$(date +%s.%N)
    stdin_for "$type" "$port" off | "$AGENT" >/dev/null 2>&1 || { echo "bench: $type off failed" >&2; exit 1; }
    e=$(date +%s.%N)
    echo "$s $e" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$DIR/times"
  done
  awk -v t="$type" '{ s += $1; if ($1 > m) m = $1 } END { printf "%-8s %9.3fs %9.3fs\n", t, s / NR, m }' "$DIR/times"
  kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true; EMU_PID=
done
