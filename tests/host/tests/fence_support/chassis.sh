#!/bin/sh
dir=$1; shift
pidf=$dir/machine.pid
alive() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
on() { alive || { setsid sleep 1000017 </dev/null >/dev/null 2>&1 & echo $! > "$pidf"; }; }
off() { if alive; then kill "$(cat "$pidf")"; fi; rm -f "$pidf"; }
op=$1; shift
case "$op" in
get) for what in "$@"; do case "$what" in power) if alive; then echo power:1; else echo power:0; fi;; esac; done ;;
set) if [ -f "$dir/deaf" ]; then exit 0; fi  # acknowledges everything, switches nothing
     # A shared-NIC BMC: powering the host off takes the BMC's network (and sessions) down.
     if [ -f "$dir/drop_sessions_on_off" ] && [ "$1 $2" = "power 0" ]; then : > "$dir/sessions_dropped"; fi
     if [ -f "$dir/refuse_on" ] && [ "$1 $2" = "power 1" ]; then exit 1; fi
     if [ -f "$dir/lag" ]; then
       # A slow machine: the change happens in the background after <lag> seconds.
       lag=$(cat "$dir/lag"); rm -f "$dir/lag"
       (sleep "$lag"; "$0" "$dir" set "$@"; echo "$lag" > "$dir/lag") </dev/null >/dev/null 2>&1 &
       exit 0
     fi
     while [ $# -ge 2 ]; do case "$1" in power) if [ "$2" = 1 ]; then on; else off; fi;; reset) off; on;; shutdown) off;; esac; shift 2; done ;;
esac
exit 0
