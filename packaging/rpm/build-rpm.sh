#!/usr/bin/env bash
# Build the hasan RPM from packaging/rpm/hasan.spec (also on Debian, with the `rpm` package).
#
#   packaging/rpm/build-rpm.sh [OUTDIR]
#       rpmbuild -bb --build-in-place --without vendored in this checkout: the spec's %build and
#       %install run `make build` / `make install`, which reuse target/release. What `make rpm` does.
#   packaging/rpm/build-rpm.sh --sources [OUTDIR]
#       only the sources: hasan-VERSION.tar.gz (git archive of HEAD: commit first) and
#       hasan-VERSION-vendor.tar.xz (cargo vendor of Cargo.lock), for rpmbuild/mock on Rocky or Alma.
#   packaging/rpm/build-rpm.sh --from-source [OUTDIR]
#       the sources, then rpmbuild -ba from them: a clean, offline compile in rpmbuild's BUILD
#       directory, as on the target system (slow: a full release build). Writes the SRPM too.
#
# OUTDIR defaults to target/packages; the paths of the packages written are printed. On a
# non-RPM system BuildRequires cannot be checked, so rpmbuild runs with --nodeps.
set -euo pipefail
umask 022
. "$(dirname "$0")/../common.sh"

mode=in-place
case "${1:-}" in
  --sources) mode=sources; shift ;;
  --from-source) mode=from-source; shift ;;
  -*) die "unknown option $1 (see the header of $0)" ;;
esac
out=$(mkdir -p "${1:-$repo/target/packages}" && cd "${1:-$repo/target/packages}" && pwd)
spec=$repo/packaging/rpm/hasan.spec
version=$(workspace_version)
spec_version=$(sed -n 's/^Version: *//p' "$spec")
[ "$version" = "$spec_version" ] \
  || die "$spec has Version $spec_version but Cargo.toml's workspace version is $version: update the spec (Version, %changelog)"
export SOURCE_DATE_EPOCH; SOURCE_DATE_EPOCH=$(source_date_epoch)

work=$(mktemp -d "${TMPDIR:-/tmp}/hasan-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{SOURCES,BUILD,BUILDROOT,SRPMS,RPMS,SPECS}

sources() {
  need git cargo tar xz
  git -C "$repo" diff --quiet HEAD -- || echo "${0##*/}: warning: uncommitted changes are not in the tarball (git archive HEAD)" >&2
  git -C "$repo" archive --format=tar.gz --prefix="hasan-$version/" -o "$1/hasan-$version.tar.gz" HEAD
  mkdir -p "$work/vendor-tree"
  (cd "$repo" && cargo vendor --locked --versioned-dirs "$work/vendor-tree/vendor" >/dev/null 2>"$work/vendor.log") \
    || { tail -20 "$work/vendor.log" >&2; die "cargo vendor failed (are the crates of Cargo.lock fetched? cargo fetch --locked)"; }
  tar -C "$work/vendor-tree" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -cJf "$1/hasan-$version-vendor.tar.xz" vendor
  echo "$1/hasan-$version.tar.gz"
  echo "$1/hasan-$version-vendor.tar.xz"
}

rpmbuild_in() {
  need rpmbuild
  rpmbuild --nodeps \
    --define "_topdir $work" \
    --define "_rpmdir $work/RPMS" \
    --define "_srcrpmdir $work/SRPMS" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    "$@" >"$work/rpmbuild.log" 2>&1 || { tail -40 "$work/rpmbuild.log" >&2; die "rpmbuild $* failed"; }
  find "$work/RPMS" "$work/SRPMS" -name '*.rpm' -exec mv -t "$out" {} +
  grep '^Wrote: ' "$work/rpmbuild.log" | sed "s|^Wrote: .*/|$out/|"
}

case $mode in
  sources) sources "$out" ;;
  from-source)
    sources "$work/SOURCES" >/dev/null
    cp "$spec" "$work/SPECS/"
    rpmbuild_in -ba "$work/SPECS/hasan.spec" ;;
  in-place)
    cd "$repo"
    rpmbuild_in -bb --build-in-place --without vendored "$spec" ;;
esac
