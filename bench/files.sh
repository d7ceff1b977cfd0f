#!/bin/bash
# Stock ocf:heartbeat:nfsserver vs ocf:hasan:nfs, and systemd:smbd (what SANs run today: there is no
# stock Samba agent) vs ocf:hasan:smb, in the same lab run (tests/lab), on node1 with the
# configuration in a local directory: start, stop and monitor wall time and processes forked per
# monitor (strace -f); prints the ratios.
# Uses the running lab $LAB_NAME (default "files-bench"); if none runs, brings one up (image from the
# cache) and tears it down at the end. MONITORS (default 10) monitors per agent.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
export LAB_NAME=${LAB_NAME:-files-bench}
LAB="$REPO/tests/lab/lab"
MONITORS=${MONITORS:-10}
VIP=10.77.0.100
CFG=/srv/hasan-bench
own_lab=0
if ! "$LAB" exec node1 true >/dev/null 2>&1; then
  own_lab=1
  trap '"$LAB" down >/dev/null 2>&1 || true' EXIT
  "$LAB" build && "$LAB" up && "$LAB" install-hasan
fi
"$LAB" install-hasan >/dev/null

guest=$(mktemp)
cat > "$guest" <<'GUEST'
#!/bin/bash
# runs in the guest: files-bench NAME MONITORS START STOP MONITOR (each a shell command)
set -u
name=$1 monitors=$2 start=$3 stop=$4 monitor=$5
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t=$(ms); out=$(eval "$start" 2>&1) || { echo "$name: start failed: $(tail -3 <<<"$out")" >&2; exit 1; }; start_ms=$(( $(ms) - t ))
t=$(ms); for _ in $(seq "$monitors"); do eval "$monitor" >/dev/null 2>&1; done; mon_us=$(( ($(ms) - t) * 1000 / monitors ))
eval "strace -f -qq -o /tmp/bench.trace -e trace=fork,vfork,clone,clone3,execve $monitor" >/dev/null 2>&1
# processes besides the one strace starts: `env …` then the agent it executes are one process
own=1; case $monitor in env\ *) own=2 ;; esac
forks=$(( $(grep -E 'fork\(|clone3?\(' /tmp/bench.trace | grep -vc CLONE_THREAD) + $(grep -c 'execve(' /tmp/bench.trace) - own ))
t=$(ms); eval "$stop" >/dev/null 2>&1; stop_ms=$(( $(ms) - t ))
rm -f /tmp/bench.trace
echo "$start_ms $stop_ms $mon_us $forks"
GUEST
"$LAB" copy node1 "$guest" /usr/local/bin/files-bench 0755 >/dev/null
rm -f "$guest"
"$LAB" exec node1 "ip addr add $VIP/24 dev eth0 2>/dev/null; mkdir -p $CFG/nfs $CFG/samba/private $CFG/stock /srv/hasan-bench-share \
  && echo '/srv/hasan-bench-share 10.77.0.0/24(rw,no_subtree_check)' > $CFG/nfs/exports \
  && printf '[global]\n server role = standalone server\n interfaces = $VIP/24\n bind interfaces only = yes\n[share]\n path = /srv/hasan-bench-share\n' > $CFG/samba/smb.conf"
cleanup_guest() {
  "$LAB" exec node1 "systemctl stop smbd nfs-server >/dev/null 2>&1; ip addr del $VIP/24 dev eth0; rm -rf $CFG /srv/hasan-bench-share" >/dev/null 2>&1 || true
}
trap 'cleanup_guest; [ "$own_lab" -eq 0 ] || "$LAB" down >/dev/null 2>&1 || true' EXIT

ocf() { # ocf PROVIDER/AGENT ACTION PARAMS…: the agent as Pacemaker runs it
  local agent=$1 action=$2; shift 2
  echo "env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bench OCF_RESKEY_CRM_meta_timeout=120000 OCF_RESKEY_CRM_meta_interval=10000 $* /usr/lib/ocf/resource.d/$agent $action"
}
run() { "$LAB" exec -t 1200 node1 "files-bench $1 $MONITORS '$2' '$3' '$4'"; }
STOCK_NFS="OCF_RESKEY_nfs_ip=$VIP OCF_RESKEY_nfs_shared_infodir=$CFG/stock"
HASAN_NFS="OCF_RESKEY_config_dir=$CFG/nfs OCF_RESKEY_ip=$VIP"
HASAN_SMB="OCF_RESKEY_config_dir=$CFG/samba OCF_RESKEY_ip=$VIP"
read -r ns nt nm nf <<<"$(run nfsserver "$(ocf heartbeat/nfsserver start $STOCK_NFS)" "$(ocf heartbeat/nfsserver stop $STOCK_NFS)" "$(ocf heartbeat/nfsserver monitor $STOCK_NFS)")"
read -r hs ht hm hf <<<"$(run hasan-nfs "$(ocf hasan/nfs start $HASAN_NFS)" "$(ocf hasan/nfs stop $HASAN_NFS)" "$(ocf hasan/nfs monitor $HASAN_NFS)")"
# smbd through systemctl (a `systemd:smbd` resource asks systemd over D-Bus from pacemaker-execd,
# which costs no fork of its own: its monitor column is systemctl is-active, for scale only)
"$LAB" exec node1 "cp /etc/samba/smb.conf /etc/samba/smb.conf.bench && cp $CFG/samba/smb.conf /etc/samba/smb.conf"
read -r ss st sm sf <<<"$(run systemd-smbd "systemctl start smbd" "systemctl stop smbd" "systemctl is-active smbd")"
"$LAB" exec node1 "mv /etc/samba/smb.conf.bench /etc/samba/smb.conf"
read -r ms mt mm mf <<<"$(run hasan-smb "$(ocf hasan/smb start $HASAN_SMB)" "$(ocf hasan/smb stop $HASAN_SMB)" "$(ocf hasan/smb monitor $HASAN_SMB)")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.1f", a / b }'; }
printf '\nbench files (lab %s, node1, configuration in a local directory, %d monitors each)\n' "$LAB_NAME" "$MONITORS"
printf '%-24s %16s %12s %7s   %14s %12s %7s\n' "" "heartbeat/nfsserver" "hasan/nfs" "ratio" "systemctl smbd" "hasan/smb" "ratio"
row() { printf '%-24s %16s %12s %7s   %14s %12s %7s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$4" "$5" "$(ratio "$4" "$5")"; }
row "start (ms)" "$ns" "$hs" "$ss" "$ms"
row "stop (ms)" "$nt" "$ht" "$st" "$mt"
row "monitor (µs)" "$nm" "$hm" "$sm" "$mm"
row "processes per monitor" "$nf" "$hf" "$sf" "$mf"
[ "$own_lab" -eq 1 ] || echo "(lab $LAB_NAME left running)"
