#!/bin/bash
# Build the Debian 12 guest image of the lab into OUTDIR (rootfs is built in OUTDIR/rootfs and removed).
# usage: build.sh OUTDIR        produces OUTDIR/{base.raw,vmlinuz,initrd.img,manifest.txt}
# Called by `lab build`, which builds into a temporary directory and renames it when this script succeeded.
# Debian's packages only (main + contrib); zfs-dkms is compiled by DKMS for the guest kernel.
set -euo pipefail
OUT=$1; R=$OUT/rootfs; HERE=$(cd "$(dirname "$0")" && pwd)
MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
T0=$SECONDS; P0=$SECONDS
phase() { echo "build: $1 done in $((SECONDS - P0)) s"; P0=$SECONDS; }
mkdir -p "$OUT"

cleanup() {
  for m in dev sys proc; do
    mountpoint -q "$R/$m" 2>/dev/null && umount -R "$R/$m" 2>/dev/null || umount -lR "$R/$m" 2>/dev/null || true
  done
  rm -f "$R/usr/sbin/policy-rc.d"
}
trap cleanup EXIT

echo "build: debootstrap $SUITE (log $OUT/debootstrap.log)"
debootstrap --arch=amd64 --components=main,contrib "$SUITE" "$R" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 \
  || { tail -20 "$OUT/debootstrap.log"; exit 1; }
phase debootstrap

cat > "$R/etc/apt/sources.list" <<EOS
deb $MIRROR $SUITE main contrib
deb $MIRROR $SUITE-updates main contrib
deb ${MIRROR%/debian}/debian-security $SUITE-security main contrib
EOS
echo 'APT::Install-Recommends "false";' > "$R/etc/apt/apt.conf.d/90norecommends"
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod +x "$R/usr/sbin/policy-rc.d"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"; mount --make-rslave "$R/sys"
mount --rbind /dev "$R/dev"; mount --make-rslave "$R/dev"

APT=(chroot "$R" apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
apt_log() { "$@" >>"$OUT/apt.log" 2>&1 || { tail -30 "$OUT/apt.log"; exit 1; }; }
echo "build: apt packages (log $OUT/apt.log)"
apt_log chroot "$R" apt-get update
# Headers before zfs-dkms, so DKMS builds for the guest kernel.
apt_log "${APT[@]}" $(grep -v '^\s*#' "$HERE/packages.txt")
phase packages
# DKMS notices the chroot and builds for the installed guest headers.
apt_log "${APT[@]}" zfs-dkms zfsutils-linux
KVER=$(ls "$R/lib/modules" | sort -V | tail -1)
test -f "$R/lib/modules/$KVER/updates/dkms/zfs.ko" || { echo "build: zfs.ko missing for guest kernel $KVER"; exit 1; }
phase zfs-dkms

# Configuration
echo '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 1' > "$R/etc/fstab"
echo lab > "$R/etc/hostname"
mkdir -p "$R/var/log/journal"
install -m755 "$HERE/lab-setup.sh" "$R/usr/local/sbin/lab-setup.sh"
install -m644 "$HERE/lab-setup.service" "$HERE/lab-ready.service" "$R/etc/systemd/system/"
mkdir -p "$R/etc/systemd/system/serial-getty@ttyS0.service.d"
printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %%I $TERM\n' \
  > "$R/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf"
chroot "$R" sh -c 'echo root:lab | chpasswd'
# Services the tests start themselves, and periodic jobs that only add noise, are off at boot.
chroot "$R" systemctl disable -q corosync pacemaker pcsd pcsd-ruby nfs-server nfs-blkmap nmbd smbd samba-ad-dc \
  open-iscsi iscsid.socket rtslib-fb-targetctl zfs-import-cache zfs-import-scan zfs-mount zfs-share zfs-volume-wait \
  zfs-zed cron e2scrub_reap openipmi apt-daily-upgrade.timer apt-daily.timer dpkg-db-backup.timer \
  e2scrub_all.timer fstrim.timer logrotate.timer man-db.timer rpcbind.service rpcbind.socket 2>/dev/null || true
chroot "$R" systemctl enable -q lab-setup.service lab-ready.service
chroot "$R" apt-get clean
chroot "$R" dpkg-query -W -f='${Package} ${Version}\n' > "$OUT/manifest.txt"
phase configure

cleanup; trap - EXIT
cp "$R/boot/vmlinuz-$KVER" "$OUT/vmlinuz"; cp "$R/boot/initrd.img-$KVER" "$OUT/initrd.img"
truncate -s 6G "$OUT/base.raw"
mkfs.ext4 -q -F -L labroot -d "$R" "$OUT/base.raw"
rm -rf "$R"
phase mkfs
echo "build: guest kernel $KVER, zfs $(grep '^zfsutils-linux ' "$OUT/manifest.txt" | cut -d' ' -f2), total $((SECONDS - T0)) s"
