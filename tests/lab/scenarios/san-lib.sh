# Helpers for the san topology's scenarios (70-79; sourced, not a scenario: no NN- prefix).
# node1 and node2 are the storage nodes, node3 holds quorum and is the client. `lab san-resources create`
# configures the SAN under Pacemaker as the README's SAN recipe does (group san: pool -> san-vip ->
# target, san-nfs, san-smb; fence-nodeN) and waits until it runs; `lab san-resources delete` removes it.
set -euo pipefail
POOL=san-pool
VIP=10.77.2.100
IQN=iqn.2024-01.local.lab:san
C=/var/tmp/san-client           # node3: the writers' logs
KINDS="iscsi nfs smb"
T0=$(date +%s)
# Scenarios take their times from the host's clock and read the guests' journals since them. The guests
# keep no time sync and start from the RTC's whole second, so a guest's clock can be behind the host's
# (node3 was measured 0.9 s behind): journal windows open CLOCK_SLACK seconds early, or an entry logged
# right after the host's time falls before it by the guest's clock (71's "standby requested" did).
CLOCK_SLACK=5

fail() { echo "FAIL: $*"; exit 1; }
other() { [ "$1" = node1 ] && echo node2 || echo node1; }
elapsed() { echo $(( $(date +%s) - $1 )); }

# where RSC: the node RSC runs on, as node3 sees it ("" when stopped)
where() { lab exec node3 "crm_resource --locate -r $1 2>/dev/null" | sed -n 's/.*is running on: \([^ ]*\).*/\1/p' | head -1; }
# wait_group_on NODE SECONDS: the whole group runs on NODE (its last member san-smb starts last) and no
# start or stop is still under way (crm_resource --locate names the node as soon as a start begins; crm_mon
# shows such a member as "Starting NODE")
wait_group_on() {
  local end=$((SECONDS + $2)) mon
  while [ $SECONDS -lt $end ]; do
    if [ "$(where san-smb)" = "$1" ] && [ "$(where pool)" = "$1" ]; then
      mon=$(lab exec node3 "crm_mon -1 2>/dev/null" || true)
      grep -qE '\):[[:space:]]+(Starting|Stopping) ' <<<"$mon" || return 0
    fi
    sleep 1
  done
  lab exec node3 'crm_mon -1' || true
  fail "the san group does not run on $1 after $2 s"
}
health() { lab exec "$1" "zpool list -H -o health $POOL"; }
scanline() { lab exec "$1" "zpool status $POOL | sed -n 's/^ *scan: //p'"; }
# fenced_since NODE EPOCH: node3's fencer logged a successful fencing (off or reboot) of NODE at or
# after EPOCH (CLOCK_SLACK allowed). Its journal, not `stonith_admin --history`: the history keeps
# one entry per target and action, so a second fencing of a node left the count of entries unchanged.
# (read whole before grep: `grep -q` leaving early could fail `lab exec` with EPIPE, under pipefail)
fenced_since() {
  local log
  log=$(lab exec node3 "journalctl -q --no-pager -o cat --since=@$(( $2 - CLOCK_SLACK )) SYSLOG_IDENTIFIER=pacemaker-fenced")
  grep -qE "Operation '(off|reboot)' targeting $1 by .*: OK" <<<"$log"
}
# backend_logged_in NODE: NODE's session to its peer's backend target is LOGGED_IN (in `iscsiadm -m
# session -P 1` the "iSCSI Session State" line is the 14th after its "Target:" line: pair them by awk)
backend_logged_in() {
  lab exec "$1" "iscsiadm -m session -P 1 2>/dev/null | awk '/^Target:/ {t = \$2} /iSCSI Session State:/ {print t, \$NF}' \
    | grep -qx 'iqn.2024-01.local.lab:backend.$(other "$1") LOGGED_IN'"
}
# heal NODE: the pool on NODE back to ONLINE with no resilver running (zpool clear if ZFS has not brought
# the other half back itself); says what it did
heal() {
  local end=$((SECONDS + 180))
  while [ $SECONDS -lt $end ]; do backend_logged_in "$1" && break; sleep 1; done
  if [ "$(health "$1")" != ONLINE ]; then
    echo "heal: $POOL on $1 is $(health "$1"): zpool clear"
    lab exec "$1" "zpool clear $POOL" || true
  fi
  end=$((SECONDS + 300))
  while [ $SECONDS -lt $end ]; do
    [ "$(health "$1")" = ONLINE ] && ! lab exec "$1" "zpool status $POOL | grep -q 'resilver in progress'" && return 0
    sleep 1
  done
  lab exec "$1" "zpool status $POOL" || true
  fail "$POOL on $1 not ONLINE and resilvered after 300 s"
}

# ---- the client on node3: iSCSI (the zvol), NFS, SMB (cifs), each with a writer
client_connect() {
  lab copy node3 "$(dirname "${BASH_SOURCE[0]}")/san-client.sh" /usr/local/bin/san-client 0755 >/dev/null
  lab exec -t 300 node3 "mkdir -p $C /mnt/san-nfs /mnt/san-smb \
    && iscsiadm -m discovery -t st -p $VIP >/dev/null && iscsiadm -m node -T $IQN -p $VIP:3260 --login >/dev/null \
    && udevadm settle && lsblk -dnpo NAME,TRAN | awk '\$2==\"iscsi\" {print \$1}' > $C/iscsi.dev && test -b \$(cat $C/iscsi.dev) \
    && mount -t nfs4 -o vers=4.2,hard $VIP:/$POOL/nfs /mnt/san-nfs \
    && mount -t cifs //$VIP/share /mnt/san-smb -o credentials=/root/.san-smb,vers=3.0,hard,cache=none" \
    || fail "node3 cannot log in to the SAN's target or mount its NFS and SMB shares"
  echo "node3: iSCSI $(lab exec node3 "cat $C/iscsi.dev"), NFS /mnt/san-nfs, SMB /mnt/san-smb"
}
client_disconnect() {
  lab exec -t 300 node3 "for k in $KINDS; do touch $C/\$k.log.stop; done; sleep 3
    for k in $KINDS; do systemctl kill san-writer-\$k 2>/dev/null; systemctl reset-failed san-writer-\$k 2>/dev/null; done
    umount -f -l /mnt/san-nfs; umount -f -l /mnt/san-smb
    iscsiadm -m node -T $IQN -p $VIP:3260 --logout; iscsiadm -m node -o delete; iscsiadm -m discoverydb -t st -p $VIP -o delete
    rm -rf $C; true" >/dev/null 2>&1 || true
}
target_of() { # target_of KIND -> "blk DEV" or "file DIR"
  case $1 in
    iscsi) echo "blk $(lab exec node3 "cat $C/iscsi.dev")" ;;
    nfs) echo "file /mnt/san-nfs" ;;
    smb) echo "file /mnt/san-smb" ;;
  esac
}
writers_start() {
  local k
  for k in $KINDS; do
    lab exec node3 "systemd-run -q --unit=san-writer-$k /usr/local/bin/san-client write $(target_of $k) $C/$k.log"
  done
}
acks() { lab exec node3 "wc -l < $C/$1.log"; }
# wait_acks MORE SECONDS: every writer has MORE acknowledged writes than now
wait_acks() {
  local k n end
  for k in $KINDS; do
    n=$(( $(acks $k) + $1 )) end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do [ "$(acks $k)" -ge "$n" ] && break; sleep 1; done
    [ "$(acks $k)" -ge "$n" ] || { lab exec node3 "tail -5 $C/$k.log.err" || true; fail "the $k writer is stuck at $(acks $k) acknowledged writes"; }
  done
}
writers_stop() {
  local k end=$((SECONDS + 180))
  for k in $KINDS; do lab exec node3 "touch $C/$k.log.stop"; done
  for k in $KINDS; do
    while [ $SECONDS -lt $end ]; do lab exec node3 "systemctl -q is-active san-writer-$k" || break; sleep 1; done
  done
}
# writers_verify: every acknowledged write of every writer reads back intact (node3, by checksum)
writers_verify() {
  local k out
  for k in $KINDS; do
    out=$(lab exec -t 600 node3 "san-client verify $(target_of $k) $C/$k.log") || fail "$k: $out"
    echo "$k: $out; $(lab exec node3 "wc -l < $C/$k.log.err") failed writes (not acknowledged)"
  done
}

# ---- hasan timeline of what happened since SINCE (less CLOCK_SLACK), from the journals of the nodes that answer
IDENTS="pacemakerd pacemaker-based pacemaker-fenced pacemaker-execd pacemaker-attrd pacemaker-schedulerd
  pacemaker-controld corosync hasan hasan-zpool hasan-vip hasan-iscsi hasan-nfs hasan-smb fence_hasan_ipmi"
timeline() { # timeline SINCE: prints the timeline (node3 merges every node's journal); TIMELINE keeps it
  local since=$1 m="" i x files="" tmp
  lab exec node3 "command -v hasan" >/dev/null 2>&1 || { echo "(hasan is not installed: no timeline)"; TIMELINE=""; return 0; }
  for i in $IDENTS; do m="$m SYSLOG_IDENTIFIER=$i"; done
  tmp=$(mktemp)
  for x in node1 node2 node3; do
    lab exec -t 300 "$x" "journalctl -o json --no-pager --since=@$((since - CLOCK_SLACK)) $m" > "$tmp" 2>/dev/null || continue
    lab copy node3 "$tmp" "/tmp/timeline-$x.json" >/dev/null && files="$files /tmp/timeline-$x.json"
  done
  rm -f "$tmp"
  TIMELINE=$(lab exec node3 "hasan timeline $files" 2>&1) || true
  echo "--- hasan timeline$files"
  echo "$TIMELINE"
}

# ---- what Pacemaker recorded (from node3's CIB status section, parsed on the host)
GROUP="pool san-vip target san-nfs san-smb"
# last_ops NODE: the last non-recurring operation of each of the group's resources on NODE, one a line
# ("RSC OPERATION call=N rc=N"): a restart, a recovery or a move changes it, a recurring monitor does not
last_ops() {
  lab exec node3 "cibadmin -Q -o status" | python3 -c '
import sys, xml.etree.ElementTree as ET
node, group = sys.argv[1], sys.argv[2].split()
for ns in ET.fromstring(sys.stdin.read()).iter("node_state"):
    for r in ns.iter("lrm_resource") if ns.get("uname") == node else ():
        for op in r.iter("lrm_rsc_op"):
            if r.get("id") in group and op.get("id", "").endswith("_last_0"):
                print(r.get("id"), op.get("operation"), "call=%s" % op.get("call-id"), "rc=%s" % op.get("rc-code"))
' "$1" "$GROUP" | sort
}
# fail_counts NODE: the fail counts Pacemaker holds for NODE, one "fail-count-RSC#OP_INTERVAL=N" a line
fail_counts() {
  lab exec node3 "cibadmin -Q -o status" | python3 -c '
import sys, xml.etree.ElementTree as ET
for ns in ET.fromstring(sys.stdin.read()).iter("node_state"):
    for nv in ns.iter("nvpair") if ns.get("uname") == sys.argv[1] else ():
        if nv.get("name", "").startswith("fail-count-"):
            print("%s=%s" % (nv.get("name"), nv.get("value")))
' "$1" | sort
}
# failed_actions: the entries of crm_mon's "Failed Resource Actions" (node3's view) other than the pool
# monitor's 190: Pacemaker 2.1 lists a DEGRADED pool there (README: What 190 does), which is no failure
failed_actions() {
  lab exec node3 "crm_mon -1" | sed -n '/Failed Resource Actions/,/^$/p' | grep -E '^ *\* ' \
    | grep -viE "pool_monitor_[0-9]+ .*(degraded|\(190\))|^ *\* pool [0-9a-z-]+ monitor on .* returned 'OCF_DEGRADED'" || true
}
# failed_writes: the writes node3's writers saw fail (lines of their .err logs: dd's message, then "N failed T")
failed_writes() { lab exec node3 "cat $C/*.log.err 2>/dev/null | wc -l"; }

# ---- who has the pool imported, sampled on both storage nodes through their guest agents (not the network)
# imported_on NODE: yes, no, down (the guest agent does not answer: powered off or booting) or ? (timeout)
imported_on() {
  local out rc=0
  out=$(lab exec -t 20 "$1" "zpool list -H -o name 2>/dev/null" 2>/dev/null) || rc=$?
  case $rc in
    0) grep -qx "$POOL" <<<"$out" && echo yes || echo no ;;
    255) echo down ;;
    *) echo "?" ;;
  esac
}
# watch_imports FILE: until FILE.stop exists, append one sample a line: "EPOCH node1=S node2=S node1=S"
# (node1 asked before and after node2, so a sample with all three "yes" is a double import, never a
# handover between two questions); run it in the background
watch_imports() {
  set +e
  while [ ! -e "$1.stop" ]; do
    echo "$(date +%s) node1=$(imported_on node1) node2=$(imported_on node2) node1=$(imported_on node1)" >> "$1"
    sleep 1
  done
}
# double_imports FILE: the samples of watch_imports that saw the pool imported on both nodes
double_imports() { grep -E 'node1=yes node2=yes node1=yes' "$1" || true; }
# san_answers: node3 opens a TCP connection to the SAN's iSCSI, NFS and SMB ports on the VIP
san_answers() {
  lab exec node3 "for p in 3260 2049 445; do timeout 5 bash -c 'exec 3<>/dev/tcp/$VIP/'\$p || exit 1; done"
}
