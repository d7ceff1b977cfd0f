#!/usr/bin/env bash
# Build hasan_<version>-<revision>_<arch>.deb from a `make install` tree, without debhelper:
# control (Depends from dpkg-shlibdeps), md5sums, copyright, changelog.Debian.gz, man pages gzipped,
# every file under /usr, owned by root. The binaries are the ones `make build` left in target/release,
# so the package runs on systems with at least this build host's glibc (see README).
#
#   packaging/deb/build-deb.sh [OUTDIR]      (default target/packages; prints the .deb's path)
#   DEB_REVISION=2 DEBFULLNAME=… DEBEMAIL=… packaging/deb/build-deb.sh
set -euo pipefail
umask 022
. "$(dirname "$0")/../common.sh"
need dpkg dpkg-deb dpkg-shlibdeps make cargo gzip md5sum strip

out=$(mkdir -p "${1:-$repo/target/packages}" && cd "${1:-$repo/target/packages}" && pwd)
upstream=$(workspace_version)
[ -n "$upstream" ] || die "no [workspace.package] version in $repo/Cargo.toml"
version="$upstream-${DEB_REVISION:-1}"
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH; SOURCE_DATE_EPOCH=$(source_date_epoch)
mapfile -t agents < <(resource_agents)
mapfile -t fences < <(fence_agents)
[ ${#agents[@]} -gt 0 ] || die "no agents/<name> crates in $repo"

work=$(mktemp -d "${TMPDIR:-/tmp}/hasan-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# 1. The payload: exactly what `make install` installs.
make -s -C "$repo" install DESTDIR="$root" PREFIX=/usr >&2
stray=$(cd "$root" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$stray" ] || die "make install put files outside /usr: $stray"
for a in "${agents[@]}"; do
  [ -x "$root/usr/lib/ocf/resource.d/hasan/$a" ] || die "make install did not install agent $a"
done
for f in "${fences[@]}" hasan; do
  [ -x "$root/usr/sbin/$f" ] || die "make install did not install $f"
done
find "$root/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
# Cargo strips the symbols; drop the compiler's .comment and .note sections as dh_strip does.
mapfile -t elves < <(cd "$root" && find usr -type f -perm -0100 | sort)
(cd "$root" && strip --remove-section=.comment --remove-section=.note "${elves[@]}")

# The binaries are plain ELF files without maintainer scripts; what lintian would flag for a package
# uploaded to Debian, and why it does not apply here.
mkdir -p "$root/usr/share/lintian/overrides"
cat > "$root/usr/share/lintian/overrides/hasan" <<'OVERRIDES'
# Not uploaded to Debian, so there is no ITP bug for the first changelog entry to close.
hasan: initial-upload-closes-no-bugs
# The OCF standard puts resource agents, which are executables, in /usr/lib/ocf/resource.d/<provider>/.
hasan: executable-in-usr-lib [usr/lib/ocf/resource.d/hasan/*]
# hasan-standby.service starts and stops with Pacemaker, however Pacemaker is started (at boot or by
# `pcs cluster start`), so that its standby always runs before Pacemaker stops.
hasan: systemd-service-file-refers-to-unusual-wantedby-target pacemaker.service [usr/lib/systemd/system/hasan-standby.service]
OVERRIDES

year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
doc=$root/usr/share/doc/hasan
mkdir -p "$doc"
{
  echo "hasan ($version) unstable; urgency=medium"
  echo
  echo "Package of hasan $upstream (git $(git_describe)); agents: ${agents[*]}${fences[*]:+; fence agents: ${fences[*]}}." \
    | fold -s -w 72 | sed 's/ *$//; 1s/^/  * /; 2,$s/^/    /'
  echo
  echo " -- $(maintainer)  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.Debian.gz"
{
  cat <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hasan
Upstream-Contact: $(maintainer)
Source: $(workspace_repository)
Comment: The binaries are statically linked with these Rust crates (Cargo.lock),
 each under the license it declares:
COPYRIGHT
  linked_crates | sed 's/^/ /'
  cat <<COPYRIGHT

Files: *
Copyright: $year hasan developers
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not
 use this file except in compliance with the License. You may obtain a copy of
 the License at http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
 License for the specific language governing permissions and limitations under
 the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can
 be found in "/usr/share/common-licenses/Apache-2.0".
COPYRIGHT
} > "$doc/copyright"

find "$root" -type d -exec chmod 0755 {} +
find "$root/usr/share" -type f -exec chmod 0644 {} +

# 2. Control data.
mkdir -p "$work/shlibs/debian" "$root/DEBIAN"
printf 'Source: hasan\n\nPackage: hasan\nArchitecture: any\n' > "$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O "${elves[@]/#/-e$root/}" 2>"$work/shlibdeps.err") \
  || { cat "$work/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
depends=${depends#shlibs:Depends=}
[[ $depends == *libc6* ]] || die "dpkg-shlibdeps found no libc6 dependency: '$depends'"
size=$(cd "$root" && find usr \( -type f -printf '%s\n' \) -o -printf '0\n' \
  | awk '{ k += int(($1 + 1023) / 1024); if ($1 == 0) k += 1 } END { print k }')
{
  cat <<CONTROL
Package: hasan
Version: $version
Architecture: $arch
Maintainer: $(maintainer)
Installed-Size: $size
Depends: $depends
Recommends: pacemaker, resource-agents, zfsutils-linux
Suggests: pcs | crmsh, fence-agents
Section: admin
Priority: optional
Description: Pacemaker resource and fence agents for a ZFS-over-iSCSI SAN
 hasan is a suite of Pacemaker OCF resource agents and STONITH fence agents,
 written in Rust, for a two-node active/passive ZFS-over-iSCSI SAN. Every
 action is idempotent, bounded in time and says clearly what went wrong.
 .
CONTROL
  echo "Resource agents (ocf:hasan:<name>): ${agents[*]}." | fold -s -w 72 | sed 's/^/ /; s/ *$//'
  if [ ${#fences[@]} -gt 0 ]; then
    echo "Fence agents: ${fences[*]}." | fold -s -w 72 | sed 's/^/ /; s/ *$//'
  fi
  echo "The operator's tool hasan(8): failover timeline, readiness check, and hasan-standby.service (standby before Pacemaker stops)." \
    | fold -s -w 72 | sed 's/^/ /; s/ *$//'
} > "$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

# 3. The archive.
deb=$out/hasan_${version}_${arch}.deb
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >&2
echo "$deb"
