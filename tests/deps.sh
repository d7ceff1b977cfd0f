#!/usr/bin/env bash
# Install the Debian packages hasan's tests need (tests/host-packages.txt) in one apt call, then check
# that every tool the tiers call exists, before any long step starts.
#
# One call naming every package: apt is idempotent, and a package that is present but newer than the
# release's (this machine kind ships qemu-utils from backports) must be resolved together with the rest.
# qemu-system-x86 and qemu-utils must come from the same qemu build: qemu-utils is pinned to the version
# apt would install for qemu-system-x86 (a downgrade when a newer qemu-utils is present), otherwise apt
# removes the newer qemu-utils to satisfy qemu-system-x86 and the lab dies on a missing qemu-img.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t want < <(grep -v '^\s*#' "$here/host-packages.txt" | tr -s ' \t' '\n' | grep -v '^$' | sort -u)

# Tools the tiers call by name: "tool package" (the package that provides it on Debian 12).
tools=(
  "qemu-img qemu-utils" "qemu-system-x86_64 qemu-system-x86" "ipmi_sim openipmi" "ipmitool ipmitool"
  "ocf-tester resource-agents" "debootstrap debootstrap" "xmllint libxml2-utils" "pcs pcs"
  "crm_resource pacemaker-cli-utils" "pacemakerd pacemaker" "corosync corosync" "tcpdump tcpdump"
  "strace strace" "fence_ipmilan fence-agents" "openssl openssl" "dpkg-deb dpkg-dev" "rpmbuild rpm"
  "lintian lintian" "mkfs.ext4 e2fsprogs" "ip iproute2" "python3 python3" "curl curl"
)
missing_tools() {
  local t out=()
  for t in "${tools[@]}"; do
    set -- $t
    PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH command -v "$1" >/dev/null 2>&1 || out+=("$1 ($2)")
  done
  printf '%s\n' "${out[@]}"
}

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# PyPI packages (tests/host-pypi.txt, pinned) live in one venv, never in the system Python.
PYVENV=/var/cache/hasan-pyvenv
pypi_ok() {
  [ -x "$PYVENV/bin/python3" ] && cmp -s "$here/host-pypi.txt" "$PYVENV/host-pypi.txt"
}
pypi_install() {
  pypi_ok && return 0
  echo "deps: installing PyPI packages into $PYVENV"
  rm -rf "$PYVENV"
  /usr/bin/python3 -m venv "$PYVENV"
  "$PYVENV/bin/pip" install -q --disable-pip-version-check -r <(grep -v '^\s*#' "$here/host-pypi.txt") \
    || { echo "deps: pip install into $PYVENV failed"; exit 1; }
  cp "$here/host-pypi.txt" "$PYVENV/host-pypi.txt"
}

if [ ${#missing[@]} -eq 0 ] && [ -z "$(missing_tools)" ]; then
  pypi_install
  echo "deps: all ${#want[@]} packages and ${#tools[@]} tools present"
  exit 0
fi

echo "deps: installing (missing: ${missing[*]:-none})"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)
apt-get "${apt_opts[@]}" update -qq
qemu_version=$(apt-cache policy qemu-system-x86 | awk '/Candidate:/ { print $2 }')
args=()
for p in "${want[@]}"; do
  case "$p" in
    qemu-utils | qemu-system-x86)
      if [ -n "$qemu_version" ] && [ "$qemu_version" != "(none)" ]; then args+=("$p=$qemu_version"); else args+=("$p"); fi ;;
    *) args+=("$p") ;;
  esac
done
log=/tmp/hasan-deps.log
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends --allow-downgrades "${args[@]}" >"$log" 2>&1 \
  || { tail -30 "$log"; echo "deps: apt-get install failed (log $log)"; exit 1; }
# The cluster daemons must not run on their own on a test machine: tests start what they need.
for s in pacemaker corosync pcsd openipmi; do
  systemctl disable --now "$s" >/dev/null 2>&1 || true
done

gone=$(missing_tools)
if [ -n "$gone" ]; then
  echo "deps: tools still missing after install:" $gone
  exit 1
fi
pypi_install
echo "deps: ${#want[@]} packages installed, ${#tools[@]} tools present"
