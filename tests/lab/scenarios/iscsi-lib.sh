# Helpers for the ocf:hasan:iscsi lab scenarios (sourced, not a scenario: no NN- prefix).
# node1 runs the target, node2 is the initiator (open-iscsi); the VIP is 10.77.0.100.
set -euo pipefail

IQN=iqn.2024-01.local.lab:san
BACKEND=iqn.2024-01.local.lab:backend
INI1=iqn.2024-01.local.lab:node1
INI2=iqn.2024-01.local.lab:node2
VIP=10.77.0.100
CFS=/sys/kernel/config/target

fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { [ "$RC" -eq "$1" ] || fail "$2: exit $RC, expected $1"; }
reason() { grep '^ocf-exit-reason:' <<<"$OUT" | tail -1 | cut -d: -f2- || true; }

# iscsi-ra ACTION [name=value]… in every guest: the installed agent run as Pacemaker does.
iscsi_ra_install() {
  local tmp
  tmp=$(mktemp)
  cat > "$tmp" <<'RA'
#!/bin/sh
# iscsi-ra ACTION [name=value]... : run ocf:hasan:iscsi with OCF_RESKEY_name=value (lab test helper)
action=$1; shift
for kv in "$@"; do export "OCF_RESKEY_${kv%%=*}=${kv#*=}"; done
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE="${OCF_RESOURCE_INSTANCE:-iscsitest}"
export OCF_RESKEY_CRM_meta_timeout="${OCF_RESKEY_CRM_meta_timeout:-90000}"
exec /usr/lib/ocf/resource.d/hasan/iscsi "$action"
RA
  for n in node1 node2; do lab copy "$n" "$tmp" /usr/local/bin/iscsi-ra 0755 >/dev/null; done
  rm -f "$tmp"
}

# ra NODE ACTION [k=v]… ; sets RC and OUT (stdout+stderr), never fails itself
ra() {
  local node=$1; shift
  set +e
  OUT=$(lab exec -t 300 "$node" iscsi-ra "$@" 2>&1)
  RC=$?
  set -e
  echo "[$node] iscsi $* -> $RC"
  [ -z "$OUT" ] || sed 's/^/    /' <<<"$OUT"
}

# The backend-like target (as the permanent cross-node mirror targets are made: targetcli) on
# node1's local disk, portal on node1's own address.
backend_create() {
  lab exec node1 "targetcli /backstores/block create name=backend0 dev=/dev/disk/by-id/virtio-data0 >/dev/null \
    && targetcli /iscsi create $BACKEND >/dev/null \
    && targetcli /iscsi/$BACKEND/tpg1/portals delete 0.0.0.0 3260 >/dev/null \
    && targetcli /iscsi/$BACKEND/tpg1/portals create 10.77.0.11 3260 >/dev/null \
    && targetcli /iscsi/$BACKEND/tpg1/luns create /backstores/block/backend0 >/dev/null \
    && targetcli /iscsi/$BACKEND/tpg1/acls create $INI2 >/dev/null"
}
# Everything of the backend target as configfs shows it (names, links, the values that matter).
backend_state() {
  lab exec node1 "cd $CFS && find iscsi/$BACKEND core/iblock_0 -printf '%p %l\n' | grep -v statistics | sort \
    && cat iscsi/$BACKEND/tpgt_1/enable core/iblock_0/backend0/enable core/iblock_0/backend0/udev_path \
       core/iblock_0/backend0/wwn/vpd_unit_serial | md5sum"
}
backend_remove() { lab exec node1 "targetcli clearconfig confirm=True >/dev/null 2>&1 || true"; }

# The initiator side on node2.
ini() { lab exec -t 120 node2 "$@"; }
# login NAME — log in to the target on the VIP; RC is iscsiadm's exit code
login() {
  set +e
  OUT=$(ini "iscsiadm -m node -T $IQN -p $VIP --login" 2>&1); RC=$?
  set -e
  echo "[node2] login -> $RC"
}
logout_all() { ini "iscsiadm -m node -T $IQN -p $VIP --logout >/dev/null 2>&1; udevadm settle; true"; }
# auth USER PASS [MUSER MPASS] — set node2's CHAP for the target (empty USER: none)
auth() {
  local s="iscsiadm -m node -T $IQN -p $VIP -o update"
  if [ -z "$1" ]; then
    ini "$s -n node.session.auth.authmethod -v None"
    return
  fi
  ini "$s -n node.session.auth.authmethod -v CHAP && $s -n node.session.auth.username -v $1 \
    && $s -n node.session.auth.password -v $2 \
    && $s -n node.session.auth.username_in -v '${3:-}' && $s -n node.session.auth.password_in -v '${4:-}'"
}
# The target's disks on node2: "LUN WWN SERIAL" per LUN, by LUN
disks() { ini "udevadm settle; lsblk -dnpo HCTL,WWN,SERIAL,TRAN | awk '\$4==\"iscsi\" {split(\$1, a, \":\"); print a[4], \$2, \$3}' | sort -n"; }
# dev_of_lun N — the device of LUN N on node2
dev_of_lun() { ini "lsblk -dnpo NAME,HCTL,TRAN | awk '\$3==\"iscsi\" && \$2 ~ /:$1\$/ {print \$1}'"; }
