#!/bin/bash
# Planned and crash failover of the same SAN with hasan's agents vs the stock stack, in the same lab run
# (tests/lab, san topology; issue 14). Stock: ocf:heartbeat:ZFS + IPaddr2 + iSCSITarget/iSCSILogicalUnit
# (lio-t) + nfsserver + exportfs + systemd:smbd, fence_ipmilan. hasan: what `lab san-resources create`
# configures (ocf:hasan:zpool, vip, iscsi, nfs, smb, fence_hasan_ipmi). Both with the same ids where
# they match, op timeouts, constraints, stickiness, stonith-timeout and stonith-action=off (as scenario
# 70: the crashed node stays off and the bench powers it on itself).
# For each stack: configure, node3 connects (iSCSI, NFS, SMB), then
#   planned: `pcs node standby` of the active node (pcs run on the other one, as scenario 71);
#   crash:   the active node's BMC cuts its power (`lab power NODE off`); fenced, the other node takes over;
# while a probe on node3 does one small synchronous I/O per kind, one after the other with 1 s between
# them (iSCSI: 4 KiB O_DIRECT+O_DSYNC write and O_DIRECT read at a fixed offset; NFS and SMB: a 4 KiB file
# written with fsync). Prints per failover kind the phases of `hasan timeline` (detection, fencing, stops,
# starts, total), the client-visible outage per kind — the longest time after the failover began in which
# node3 saw no I/O of that kind complete successfully, beside the normal time between two completions
# before it — and the ratios stock/hasan; for hasan the phases inside its agents (the pool's import, …).
# (Under TCG one probe I/O takes 2–4 s on node3 even when nothing fails over, so the outage is measured
# between successful completions, not against a fixed latency limit.) Absolute TCG times are slow; the ratios,
# the phase split and the time inside hasan's own code are what count.
# Each stack starts from the same entry state (`lab restore` after each); the stacks alternate round by
# round. Between stacks nothing of one is left for the other: the stock stack's smb.conf and nfs.conf
# edits on node1/node2 are put back (and rpcbind.socket, enabled for nfsserver as a stock Debian has it,
# disabled again), hasan's links of /etc/exports and smb.conf that a crash leaves on the powered-off node
# are undone by the agents' own stop. A stop that fails during the planned move gets the node fenced
# (powered off): that is recorded as the stack's result (RESULTS/TAG.fenced, the summary says so) and the
# node is powered on and the pool resilvered before the crash.
#   sudo bench/failover.sh                  # LAB_NAME (default "failover-bench"), ROUNDS (default 1)
#   STACKS=stock RESULTS=<an earlier run's> bench/failover.sh   # one stack only, beside the other's results
# Uses the running san lab $LAB_NAME; if none answers, brings one up (build, up --topology san,
# install-hasan, cluster, san-setup: ~13 min) and tears it down at the end. First run (2026-12-01):
# hasan's stack 23 min, the stock stack about 50 min (its stops fail and fence) per round under TCG.
# Results (timelines as text and JSON, probe logs, the summary) in RESULTS (default
# /var/tmp/hasan-bench/failover-<time>).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
export LAB_NAME=${LAB_NAME:-failover-bench}
export PATH="$REPO/tests/lab:$PATH"     # san-lib.sh calls `lab`, as the scenarios do
ROUNDS=${ROUNDS:-1}
STACKS=${STACKS:-hasan stock}   # one of them alone adds its results to an earlier run's RESULTS
RESULTS=${RESULTS:-/var/tmp/hasan-bench/failover-$(date +%Y%m%d-%H%M%S)}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer" >&2; exit 2; }
[[ $STACKS =~ ^(hasan|stock)( (hasan|stock))?$ ]] || { echo "STACKS must be hasan, stock or both" >&2; exit 2; }
# shellcheck source-path=SCRIPTDIR source=../tests/lab/scenarios/san-lib.sh
. "$REPO/tests/lab/scenarios/san-lib.sh"   # POOL VIP IQN C KINDS IDENTS, where other wait_group_on heal client_*
PROBE_DIR=/var/tmp/failover-probe   # node3, local disk
NFS_STATE=/$POOL/cluster-config/nfs-stock   # the stock nfsserver's nfs_shared_infodir (hasan's state is in nfs/state)
mkdir -p "$RESULTS"

own_lab=0 dirty=0 tmp=""
cleanup() {
  local rc=$?
  trap - EXIT
  set +e
  if [ "$dirty" -eq 1 ] && [ "$own_lab" -eq 0 ]; then
    echo "--- failover bench stopped early (exit $rc): removing the stack, restoring lab $LAB_NAME"
    probes_kill
    client_disconnect
    lab san-resources delete
    lab restore
    stock_files_restore
  fi
  [ -z "$tmp" ] || rm -rf "$tmp"
  [ "$own_lab" -eq 0 ] || lab down >/dev/null 2>&1
  exit "$rc"
}
trap cleanup EXIT
tmp=$(mktemp -d)

if ! lab exec node1 true >/dev/null 2>&1; then
  lab build
  lab up --topology san   # refuses a lab of this name that exists (node1 off?): then nothing here is ours to tear down
  own_lab=1
  lab install-hasan && lab cluster && lab san-setup
else
  lab link client status >/dev/null 2>&1 || { echo "lab $LAB_NAME runs, but not in the san topology" >&2; exit 1; }
  lab install-hasan >/dev/null
  lab san-setup >/dev/null
fi
lab check >/dev/null || lab restore

# ---- the probe on node3
cat > "$tmp/probe" <<'PROBE'
#!/bin/bash
# failover-probe KIND TARGET LOG (bench/failover.sh): one small synchronous I/O, then 1 s, until LOG.stop
# exists; after each one the line "START_MS KIND ok|fail TOOK_MS" in LOG. iscsi: TARGET is the block
# device (4 KiB at offset 4 MiB, O_DIRECT+O_DSYNC write, O_DIRECT read); nfs, smb: TARGET is the mount
# (the file failover-probe, written with fsync).
set -u
kind=$1 target=$2 log=$3
head -c 4096 /dev/urandom > "$log.blk"
: > "$log"; rm -f "$log.stop"
while [ ! -e "$log.stop" ]; do
  t=$(date +%s%3N)
  if [ "$kind" = iscsi ]; then
    dd if="$log.blk" of="$target" bs=4096 seek=1024 count=1 oflag=direct,dsync conv=notrunc status=none 2>>"$log.err" \
      && dd if="$target" of=/dev/null bs=4096 skip=1024 count=1 iflag=direct status=none 2>>"$log.err"
  else
    dd if="$log.blk" of="$target/failover-probe" bs=4096 count=1 conv=fsync status=none 2>>"$log.err"
  fi
  rc=$?
  e=$(date +%s%3N)
  echo "$t $kind $([ $rc -eq 0 ] && echo ok || echo fail) $((e - t))" >> "$log"
  sleep 1
done
PROBE
lab copy node3 "$tmp/probe" /usr/local/bin/failover-probe 0755 >/dev/null

probe_target() {
  case $1 in
    iscsi) lab exec node3 "cat $C/iscsi.dev" ;;
    nfs) echo /mnt/san-nfs ;;
    smb) echo /mnt/san-smb ;;
  esac
}
oks() { lab exec node3 "cat $PROBE_DIR/$1 2>/dev/null | awk '\$3 == \"ok\" { n++ } END { print n + 0 }'"; }
probes_start() { # probes_start TAG: a probe per kind, each with 5 successful I/Os before the failover
  local k end=$((SECONDS + 120))
  lab exec node3 "mkdir -p $PROBE_DIR && rm -f $PROBE_DIR/$1.*"   # logs of an earlier run of the bench
  for k in $KINDS; do
    lab exec node3 "systemd-run -q --unit=failover-probe-$1-$k /usr/local/bin/failover-probe $k $(probe_target "$k") $PROBE_DIR/$1.$k"
  done
  for k in $KINDS; do
    until [ "$(oks "$1.$k")" -ge 5 ]; do
      [ $SECONDS -lt $end ] || { lab exec node3 "tail -3 $PROBE_DIR/$1.$k.err" || true; fail "the $k probe does not work before the failover"; }
      sleep 1
    done
  done
}
probes_recovered() { # probes_recovered TAG SECONDS: every probe has a successful I/O begun from now on
  local k since end=$((SECONDS + $2))
  since=$(lab exec node3 "date +%s%3N")
  for k in $KINDS; do
    until lab exec node3 "awk -v s=$since '\$1 >= s && \$3 == \"ok\" { f = 1 } END { exit !f }' $PROBE_DIR/$1.$k"; do
      [ $SECONDS -lt $end ] || { echo "warning: the $k probe has not recovered $2 s after the failover"; break; }
      sleep 2
    done
  done
}
probes_kill() { # every probe unit of this run (one per failover and kind: a probe stuck in I/O stays apart)
  lab exec node3 "for f in $PROBE_DIR/*; do case \$f in *.iscsi|*.nfs|*.smb) touch \$f.stop ;; esac; done; sleep 2
    systemctl kill 'failover-probe-*'; systemctl reset-failed 'failover-probe-*'; true" >/dev/null 2>&1 || true
}
probes_stop() { # probes_stop TAG: stop the probes and keep their logs in $RESULTS
  local k end=$((SECONDS + 60))
  for k in $KINDS; do lab exec node3 "touch $PROBE_DIR/$1.$k.stop"; done
  for k in $KINDS; do
    while [ $SECONDS -lt $end ] && lab exec node3 "systemctl -q is-active failover-probe-$1-$k"; do sleep 1; done
  done
  probes_kill
  for k in $KINDS; do
    lab exec node3 "cat $PROBE_DIR/$1.$k" > "$RESULTS/$1.$k.probe" || true
  done
}

# ---- hasan timeline of the failover since SINCE (host clock), from all three nodes' journals, on node3
timeline_of() { # timeline_of SINCE TAG: prints it, keeps TAG.timeline.txt and TAG.json in $RESULTS
  local m="" i x files="" j="$tmp/journal.json"
  for i in $IDENTS; do m="$m SYSLOG_IDENTIFIER=$i"; done
  for x in node1 node2 node3; do
    lab exec -t 300 "$x" "journalctl -o json --no-pager --since=@$(($1 - 30)) $m" > "$j" 2>/dev/null || continue
    lab copy node3 "$j" "/tmp/failover-bench-$x.json" >/dev/null && files="$files /tmp/failover-bench-$x.json"
  done
  rm -f "$j"
  # the last failover in these journals (as scenarios 70 and 71 read it)
  lab exec -t 300 node3 "hasan timeline $files" | tee "$RESULTS/$2.timeline.txt" || true
  lab exec -t 300 node3 "hasan timeline --json $files" > "$RESULTS/$2.json" || true
  lab exec node3 "rm -f $files" || true
}

# ---- the stacks
wait_group_running() { # wait_group_running SECONDS: the whole group runs on one node, GROUP_ON, and
  # nothing is starting any more (crm_resource --locate names a node as soon as a start begins: smbd was
  # not listening yet when node3 mounted the share)
  local a end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do
    a=$(where pool) || a=""   # a guest agent hiccup is a "not yet", not the end of the bench
    if [ -n "$a" ] && [ "$(where san-smb)" = "$a" ]; then
      wait_group_on "$a" $((end - SECONDS))
      GROUP_ON=$a
      return 0
    fi
    sleep 3
  done
  lab exec node3 'crm_mon -1' >&2 || true
  fail "the san group does not run after $1 s"
}

# The stock stack, ids as in `lab san-resources create` where the resource does the same job (pool,
# san-vip, target, san-nfs, san-smb, fence-nodeN; group san), plus san-lun0 (the zvol's LU) and
# san-exports (the export the pool's exports file holds for ocf:hasan:nfs: the stock nfsserver does not
# read it). Op timeouts, constraints and cluster options as the lab's san_cib.
stock_cib() { # stock_cib USER PASSWORD > resources; the constraints in $tmp/constraints.xml
  local i u=$1 p=$2
  ops() { # ops ID MONITOR_INTERVAL
    echo "<operations><op id=\"$1-start\" name=\"start\" interval=\"0\" timeout=\"300s\"/><op id=\"$1-stop\" name=\"stop\" interval=\"0\" timeout=\"300s\"/><op id=\"$1-mon\" name=\"monitor\" interval=\"$2\" timeout=\"120s\"/></operations>"
  }
  nv() { echo "<nvpair id=\"$1-$2\" name=\"$2\" value=\"$3\"/>"; }
  echo "<resources>"
  for i in 1 2 3; do cat <<XML
<primitive id="fence-node$i" class="stonith" type="fence_ipmilan"><instance_attributes id="fence-node$i-ia">
 $(nv fence-node$i ip 10.77.0.10$i)$(nv fence-node$i username admin)$(nv fence-node$i password labbmc)
 $(nv fence-node$i lanplus 1)$(nv fence-node$i cipher 3)$(nv fence-node$i pcmk_host_list node$i)</instance_attributes>
 <operations><op id="fence-node$i-mon" name="monitor" interval="300s" timeout="120s"/></operations></primitive>
XML
  done
  # iSCSITarget: the CHAP password is a resource parameter in the CIB (and on targetcli's command line):
  # that is the stock agent's own limitation; ocf:hasan:iscsi reads it from a file (chap_file).
  cat <<XML
<group id="san">
<primitive id="pool" class="ocf" provider="heartbeat" type="ZFS"><instance_attributes id="pool-ia">
 $(nv pool pool "$POOL")</instance_attributes>$(ops pool 10s)</primitive>
<primitive id="san-vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="san-vip-ia">
 $(nv san-vip ip "$VIP")$(nv san-vip cidr_netmask 24)$(nv san-vip nic client)</instance_attributes>$(ops san-vip 30s)</primitive>
<primitive id="target" class="ocf" provider="heartbeat" type="iSCSITarget"><instance_attributes id="target-ia">
 $(nv target implementation lio-t)$(nv target iqn "$IQN")$(nv target portals "$VIP:3260")
 $(nv target allowed_initiators iqn.2024-01.local.lab:node3)$(nv target incoming_username "$u")$(nv target incoming_password "$p")
 </instance_attributes>$(ops target 30s)</primitive>
<primitive id="san-lun0" class="ocf" provider="heartbeat" type="iSCSILogicalUnit"><instance_attributes id="san-lun0-ia">
 $(nv san-lun0 implementation lio-t)$(nv san-lun0 target_iqn "$IQN")$(nv san-lun0 lun 0)
 $(nv san-lun0 path "/dev/zvol/$POOL/iscsi/vol1")$(nv san-lun0 allowed_initiators iqn.2024-01.local.lab:node3)
 </instance_attributes>$(ops san-lun0 30s)</primitive>
<primitive id="san-nfs" class="ocf" provider="heartbeat" type="nfsserver"><instance_attributes id="san-nfs-ia">
 $(nv san-nfs nfs_shared_infodir "$NFS_STATE")$(nv san-nfs nfs_ip "$VIP")$(nv san-nfs nfs_server_scope "$VIP")
 </instance_attributes>$(ops san-nfs 30s)</primitive>
<primitive id="san-exports" class="ocf" provider="heartbeat" type="exportfs"><instance_attributes id="san-exports-ia">
 $(nv san-exports directory "/$POOL/nfs")$(nv san-exports clientspec 10.77.2.0/24)
 $(nv san-exports options rw,sync,no_subtree_check,no_root_squash)$(nv san-exports fsid 1)
 </instance_attributes>$(ops san-exports 30s)</primitive>
<primitive id="san-smb" class="systemd" type="smbd">$(ops san-smb 30s)</primitive>
</group>
</resources>
XML
  cat > "$tmp/constraints.xml" <<XML
<constraints>
<rsc_location id="fence-node1-not-self" rsc="fence-node1" node="node1" score="-INFINITY"/>
<rsc_location id="fence-node2-not-self" rsc="fence-node2" node="node2" score="-INFINITY"/>
<rsc_location id="fence-node3-not-self" rsc="fence-node3" node="node3" score="-INFINITY"/>
<rsc_location id="san-not-node3" rsc="san" node="node3" score="-INFINITY"/>
<rsc_location id="san-prefers-node1" rsc="san" node="node1" score="50"/>
</constraints>
XML
}

# node1 and node2 for the stock stack: hasan's nfs and smb agents put the node's own files back (their
# stop needs no pool; after a crash their links stay on the powered-off node until the next stop);
# smbd (systemd:smbd reads /etc/samba/smb.conf) gets the pool's smb.conf and private dir; rpc.nfsd the
# hasan stack's grace and lease (san-nfs: grace_time=15 lease_time=15) through /etc/nfs.conf, the stock
# way to set them. The originals are kept beside (*.failover-bench) and put back by stock_files_restore.
# rpcbind.socket is enabled and started, as Debian's rpcbind package leaves it (the lab image disables it):
# Debian ships /etc/init.d/nfs-kernel-server, so nfsserver runs in its init-script mode and starts rpc.statd
# itself before nfs-server, and rpc.statd exits when it cannot register with rpcbind — the stock start would
# fail on every node freshly booted (e.g. the one crashed by the other stack). A marker file records that the
# bench enabled it; stock_files_restore disables it again.
stock_files_prepare() {
  local x ocf="env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_CRM_meta_timeout=120000 OCF_RESKEY_ip=$VIP"
  printf '%s\n' "# bench/failover.sh: the stock stack's smbd serves the SAN's share from the pool" "[global]" \
    "   private dir = /$POOL/cluster-config/samba/private" "   include = /$POOL/cluster-config/samba/smb.conf" \
    > "$tmp/smb.conf"
  printf '%s\n' "" "# bench/failover.sh: NFSv4 grace and lease as the hasan stack's san-nfs" "[nfsd]" \
    "grace-time=15" "lease-time=15" > "$tmp/nfs.conf.add"
  for x in node1 node2; do
    lab exec -t 300 "$x" "$ocf OCF_RESOURCE_INSTANCE=san-nfs OCF_RESKEY_config_dir=/$POOL/cluster-config/nfs \
      /usr/lib/ocf/resource.d/hasan/nfs stop && $ocf OCF_RESOURCE_INSTANCE=san-smb \
      OCF_RESKEY_config_dir=/$POOL/cluster-config/samba /usr/lib/ocf/resource.d/hasan/smb stop" >/dev/null \
      || fail "$x: hasan's nfs/smb stop did not put the node's own files back"
    lab exec "$x" "! test -L /etc/exports && ! test -L /etc/samba/smb.conf && ! test -L /var/lib/samba/private" \
      || fail "$x: /etc/exports, smb.conf or Samba's private dir is still a link to the pool"
    lab exec "$x" "test -e /etc/samba/smb.conf.failover-bench || cp -a /etc/samba/smb.conf /etc/samba/smb.conf.failover-bench; \
      test -e /etc/nfs.conf.failover-bench || cp -a /etc/nfs.conf /etc/nfs.conf.failover-bench"
    lab copy "$x" "$tmp/smb.conf" /etc/samba/smb.conf 0644 >/dev/null
    lab copy "$x" "$tmp/nfs.conf.add" /tmp/nfs.conf.add 0644 >/dev/null
    lab exec "$x" "cat /etc/nfs.conf.failover-bench /tmp/nfs.conf.add > /etc/nfs.conf && rm /tmp/nfs.conf.add"
    lab exec "$x" "{ systemctl -q is-enabled rpcbind.socket || { touch /var/lib/failover-bench.rpcbind \
      && systemctl enable -q rpcbind.socket; }; } && systemctl start rpcbind.socket" \
      || fail "$x: cannot enable and start rpcbind.socket"
  done
}
stock_files_restore() { # also nfsserver's runtime drop-in (nfs_server_scope) and its scope file, rpcbind's
  # enabling, and the targetcli preference iSCSITarget (lio-t) sets for good (auto_add_default_portal=false)
  local x
  for x in node1 node2; do
    lab exec "$x" "if test -e /etc/samba/smb.conf.failover-bench; then mv -f /etc/samba/smb.conf.failover-bench /etc/samba/smb.conf; fi
      if test -e /etc/nfs.conf.failover-bench; then mv -f /etc/nfs.conf.failover-bench /etc/nfs.conf; fi
      if test -e /run/systemd/system/nfs-server.service.d/51-resource-agents-unshare-uts.conf; then
        rm -f /run/systemd/system/nfs-server.service.d/51-resource-agents-unshare-uts.conf /run/sysconfig/nfs-server-scope
        systemctl daemon-reload; fi
      if test -e /var/lib/failover-bench.rpcbind; then systemctl disable -q rpcbind.socket && rm -f /var/lib/failover-bench.rpcbind; fi
      targetcli set global auto_add_default_portal=true" >/dev/null 2>&1 || echo "warning: $x: the stock stack's files not restored"
  done
}

stack_create() { # stack_create hasan|stock
  lab exec node3 "crm_attribute -t crm_config -n stonith-action -v off"
  if [ "$1" = hasan ]; then
    lab san-resources create
    return
  fi
  local chap user pass
  chap=$(lab exec node1 "cat /etc/hasan/chap.json")   # what `lab san-setup` gave ocf:hasan:iscsi (and node3's iscsid.conf)
  read -r user pass < <(python3 -c 'import json, sys; c = json.load(sys.stdin)["per_tpg"]["1"]; print(c["user"], c["pass"])' <<<"$chap")
  [[ $user$pass =~ ^[A-Za-z0-9._-]+$ ]] || fail "unexpected characters in the lab's CHAP credentials"
  stock_files_prepare
  (umask 077; stock_cib "$user" "$pass" > "$tmp/resources.xml")
  lab copy node3 "$tmp/resources.xml" /tmp/failover-bench-resources.xml 0600 >/dev/null
  lab copy node3 "$tmp/constraints.xml" /tmp/failover-bench-constraints.xml 0600 >/dev/null
  rm -f "$tmp/resources.xml"
  # as `lab san-resources create` does it
  lab exec node3 "crm_attribute -t crm_config -n stonith-timeout -v 120s && \
    crm_attribute -t rsc_defaults -n resource-stickiness -v 100 && \
    cibadmin --replace -o resources --xml-file /tmp/failover-bench-resources.xml && \
    cibadmin --replace -o constraints --xml-file /tmp/failover-bench-constraints.xml && \
    crm_attribute -t crm_config -n stonith-enabled -v true; rc=\$?; rm -f /tmp/failover-bench-*.xml; exit \$rc"
  wait_group_running 900
  echo "stock stack: the san group runs on $GROUP_ON"
}
stack_delete() { # stack_delete hasan|stock: both go as `lab san-resources delete` removes them (pool stops last)
  lab san-resources delete
}

# measured_failover TAG NODE WHAT CMD…: node3's probes on, CMD (the failover) until the group runs on
# NODE; the wall time, the probe logs and the timeline kept under TAG
measured_failover() {
  local tag=$1 to=$2 what=$3 t
  shift 3
  probes_start "$tag"
  lab exec node3 "date +%s%3N" > "$RESULTS/$tag.t0"
  t=$(date +%s)
  "$@"
  wait_group_on "$to" 900
  elapsed "$t" > "$RESULTS/$tag.wall"
  echo "TIMING: the san group runs on $to $(elapsed "$t") s after $what"
  probes_recovered "$tag" 600
  probes_stop "$tag"
  timeline_of "$t" "$tag"   # before anything else happens in the cluster: the last failover is this one
}

# standby_from NODE ACTIVE: as scenario 71, pcs runs on the node taking over, and the request is logged
# as hasan-standby logs its own, which the timeline reads (Pacemaker 2.1 logs pcs's attribute change at
# info level only)
standby_from() {
  lab exec "$1" "logger -t hasan 'standby requested for $2 by pcs node standby (bench failover)'"
  lab exec -t 600 "$1" "pcs node standby $2"
}

planned() { # planned STACK TAG
  local a b
  a=$(where pool); b=$(other "$a")
  [ -n "$a" ] || fail "the san group runs nowhere before the planned move"
  echo "--- $1: planned move, pcs node standby $a (node3 probing)"
  measured_failover "$2" "$b" "pcs node standby $a" standby_from "$b" "$a"
  # A stop that fails on $a (e.g. nfsserver's "umount: /var/lib/nfs: target is busy") makes Pacemaker fence
  # $a, and with stonith-action=off it stays off: that is the stack's result (the timeline shows the
  # fencing), but the crash below needs both storage nodes, so $a comes back and the pool is resilvered.
  local fenced=0
  if lab power "$a" status 2>/dev/null | grep -q 'is off'; then
    fenced=1
    echo "$a" > "$RESULTS/$2.fenced"
    echo "--- $1: $a was fenced during the planned move (a stop failed there): powering it on"
    lab power "$a" on
    lab rejoin "$a"
  fi
  lab exec -t 600 "$b" "pcs node unstandby $a"
  lab exec -t 300 "$b" "crm_resource --wait --timeout=240s" || true
  [ "$fenced" -eq 0 ] || heal "$b"
}

crash() { # crash STACK TAG
  local a b
  a=$(where pool); b=$(other "$a")
  [ -n "$a" ] || fail "the san group runs nowhere before the crash"
  echo "--- $1: crash of $a (BMC power off, node3 probing)"
  measured_failover "$2" "$b" "$a lost power" lab power "$a" off
  echo "--- $a returns (nothing moves back)"
  lab power "$a" on
  lab rejoin "$a"
  heal "$b"
}

run_stack() { # run_stack STACK ROUND
  echo "=== round $2: $1 stack"
  dirty=1
  stack_create "$1"
  client_connect
  planned "$1" "r$2-$1-planned"
  # node3 connects afresh for the crash: the stock planned move left its iSCSI disk failing for good
  # ("Read-only file system", the new LU answering "Logical block address out of range"), and a
  # probe that does not work before the failover measures nothing
  client_disconnect
  client_connect
  crash "$1" "r$2-$1-crash"
  probes_kill
  client_disconnect
  stack_delete "$1"
  lab restore
  # after the restore: a node fenced when a stop failed during the delete is back on only now
  [ "$1" = hasan ] || stock_files_restore
  dirty=0
}

for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="hasan stock"; else order="stock hasan"; fi
  for s in $order; do
    if [[ " $STACKS " == *" $s "* ]]; then run_stack "$s" "$r"; fi
  done
done

# ---- the summary (host, python3 standard library)
python3 - "$RESULTS" "$ROUNDS" "$LAB_NAME" <<'PY' | tee "$RESULTS/summary.txt"
import json
import os
import statistics
import sys

out, rounds, lab = sys.argv[1], int(sys.argv[2]), sys.argv[3]
STACKS, KINDS, IOS = ("hasan", "stock"), ("planned", "crash"), ("iscsi", "nfs", "smb")


def outage(path, since):
    """(outage, normal, failed) of a probe log, in ms: outage = the longest time from `since` (node3's clock
    at the failover) in which no I/O completed successfully (from the last success before it, or `since`,
    to the next success); normal = the median time between two successful completions before `since`;
    failed = I/Os that failed from `since` on. outage is inf when the probe still failed at its end (the
    service never came back for it), None when no I/O succeeded after `since` or the log is missing."""
    ios = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 4 and p[0].isdigit() and p[3].isdigit():
                    ios.append((int(p[0]) + int(p[3]), p[2] == "ok"))
    except OSError:
        return None, None, 0
    ios.sort()
    done = [end for end, ok in ios if ok]
    before = [e for e in done if e < since]
    after = [e for e in done if e >= since]
    gaps = [b - a for a, b in zip(before, before[1:])]
    normal = statistics.median(gaps) if gaps else None
    failed = sum(1 for end, ok in ios if not ok and end >= since)
    if any(not ok and end >= since and (not done or end > done[-1]) for end, ok in ios):
        return float("inf"), normal, failed  # still failing when the probe stopped
    if not after:
        return None, normal, failed
    edges = [before[-1] if before else since] + after
    return max(b - a for a, b in zip(edges, edges[1:])), normal, failed


def timeline(path):
    try:
        with open(path) as f:
            t = json.load(f)
    except (OSError, ValueError):
        return None
    steps = t.get("steps", [])
    per = {}
    for s in steps:
        if s["kind"] in ("stop", "start"):
            per[s["what"]] = per.get(s["what"], 0) + s["duration_ms"]
    group = lambda k: [s["duration_ms"] for s in steps if s["kind"] == k and " fence-" not in s["what"]]
    return {
        "cause": t.get("cause", ""),
        "total": t.get("total_ms"),
        "detection": sum(s["duration_ms"] for s in steps if s["kind"] == "detection"),
        "fencing": sum(s["duration_ms"] for s in steps if s["kind"] == "fencing"),
        "nfencing": sum(1 for s in steps if s["kind"] == "fencing"),
        "stops": sum(group("stop")), "nstops": len(group("stop")),
        "starts": sum(group("start")), "nstarts": len(group("start")),
        "per": per,
        "phases": [(s["what"], p["name"], p["duration_ms"]) for s in steps for p in s.get("phases", [])],
    }


def number(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def sec(ms):
    if ms == float("inf"):
        return "never"
    return "n/a" if ms is None else "%.1f" % (ms / 1000)


def ratio(a, b):
    if a is None or b is None:
        return "n/a"
    if b == 0 or b == float("inf"):
        return "—" if a == b else "inf" if b == 0 else "0"
    return "%.2f" % (a / b)


R = {}
for k in KINDS:
    for s in STACKS:
        runs = []
        for r in range(1, rounds + 1):
            tag = "%s/r%d-%s-%s" % (out, r, s, k)
            run = {"tl": timeline(tag + ".json"), "io": {}, "normal": {}, "failed": {},
                   "wall": number(tag + ".wall"), "t0": number(tag + ".t0"),
                   "fenced": os.path.exists(tag + ".fenced")}
            if run["wall"] is not None:
                run["wall"] *= 1000
            for io in IOS:
                run["io"][io], run["normal"][io], run["failed"][io] = outage("%s.%s.probe" % (tag, io), run["t0"] or 0)
            runs.append(run)
        tls = [x["tl"] for x in runs if x["tl"]]
        what = []
        for t in tls:
            what += [w for w in t["per"] if w not in what]
        R[k, s] = {
            "runs": runs,
            "causes": sorted({t["cause"] for t in tls}),
            **{f: med(t[f] for t in tls) for f in ("total", "detection", "fencing", "nfencing", "stops", "nstops", "starts", "nstarts")},
            "wall": med(x["wall"] for x in runs),
            "io": {io: med(x["io"][io] for x in runs) for io in IOS},
            "normal": {io: med(x["normal"][io] for x in runs) for io in IOS},
            "failed": {io: sum(x["failed"][io] for x in runs) for io in IOS},
            "per": [(w, med(t["per"].get(w) for t in tls)) for w in what],
            "phases": {},
            "fenced": [r + 1 for r, x in enumerate(runs) if x["fenced"]],
        }
        for t in tls:
            for w, name, ms in t["phases"]:
                R[k, s]["phases"].setdefault((w, name), []).append(ms)

print("\nbench failover (lab %s, san topology: node1/node2 storage, node3 quorum and client; %d round(s) per"
      " stack and kind, medians; seconds)" % (lab, rounds))
print("outage: the longest time node3's probe saw no I/O of that kind complete successfully after the failover"
      " began (normal: between two completions before it); * = some I/Os failed (the others hung)")
TITLE = {"planned": "planned move: pcs node standby of the active node (detection = from the logged request"
                    " to the first stop, pcs's own run included)",
         "crash": "crash: the active node's BMC cuts its power (stonith-action=off)"}
for k in KINDS:
    print("\n" + TITLE[k])
    print("%-6s %9s %8s %11s %12s %7s %7s %8s %8s %8s" % ("stack", "detection", "fencing", "stops (n)", "starts (n)",
                                                          "total", "wall", "iscsi", "nfs", "smb"))
    for s in STACKS:
        x = R[k, s]
        nst = lambda v, n: "n/a" if v is None else "%s (%d)" % (sec(v), n or 0)
        io = ["%s%s" % (sec(x["io"][i]), "*" if x["failed"][i] else "") for i in IOS]
        print("%-6s %9s %8s %11s %12s %7s %7s %8s %8s %8s" % (
            s, sec(x["detection"]), sec(x["fencing"]) if x["nfencing"] else "-", nst(x["stops"], x["nstops"]),
            nst(x["starts"], x["nstarts"]), sec(x["total"]), sec(x["wall"]), *io))
    for s in STACKS:
        print("%-6s normal time between two completions: %s" % (
            s, ", ".join("%s %s" % (i, sec(R[k, s]["normal"][i])) for i in IOS)))
    h, st = R[k, "hasan"], R[k, "stock"]
    print("ratio stock/hasan: total %s, outage iscsi %s, nfs %s, smb %s" % (
        ratio(st["total"], h["total"]), *(ratio(st["io"][i], h["io"][i]) for i in IOS)))
    for s in STACKS:
        print("  %s: cause %s" % (s, "; ".join(R[k, s]["causes"]) or "(no timeline)"))
        print("  %s steps: %s" % (s, ", ".join("%s %s" % (w, sec(ms)) for w, ms in R[k, s]["per"]) or "none"))
        if R[k, s]["fenced"]:
            print("  %s: the active node was fenced (a stop failed) in round(s) %s" % (
                s, ", ".join(map(str, R[k, s]["fenced"]))))
    if h["phases"]:
        print("  hasan phases (inside its agents):")
        for (w, name), v in h["phases"].items():
            print("    %-18s %-12s %8s" % (w, name, sec(med(v))))
print("\ntimelines, probe logs: %s" % out)
PY
[ "$own_lab" -eq 1 ] || echo "(lab $LAB_NAME left running)"
