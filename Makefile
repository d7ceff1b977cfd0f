# hasan — build, install and test. `make test` is the test command (README, .ci/run).
PREFIX    ?= /usr
OCFDIR    ?= $(PREFIX)/lib/ocf/resource.d/hasan
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share
UNITDIR   ?= $(PREFIX)/lib/systemd/system
CARGO     ?= cargo
RELEASE   := target/release
AGENTS    := $(notdir $(wildcard agents/*))
FENCE     := $(filter fence_hasan_%,$(notdir $(wildcard fence/*)))
# "<name> <agent>" pairs: other names of fence agents, installed as symlinks (fence/aliases).
ALIASES   := $(shell grep -v '^\s*\#' fence/aliases | tr -s ' \t' ' ' | tr ' ' ':')

.PHONY: all build install uninstall deps test test-host lint metadata lab-test san-test demo demo-down bench clean

all: build

# SOURCE_DATE_EPOCH (exported by the packaging scripts) is a rebuild trigger of the C code in ring (cc
# crate); without it in cargo's view, `make deb`/`make rpm` reuse target/release as it is, and the next
# `make install` does not compile ring again either. Nothing in the binaries depends on it.
build:
	env -u SOURCE_DATE_EPOCH $(CARGO) build --release --workspace --bins --locked

install: build
	@for a in $(AGENTS); do \
	  install -D -m 0755 $(RELEASE)/$$a $(DESTDIR)$(OCFDIR)/$$a || exit 1; \
	  mkdir -p $(DESTDIR)$(MANDIR)/man7; \
	  $(RELEASE)/$$a --manpage > $(DESTDIR)$(MANDIR)/man7/ocf_hasan_$$a.7 || exit 1; \
	done
	@for f in $(FENCE); do \
	  install -D -m 0755 $(RELEASE)/$$f $(DESTDIR)$(SBINDIR)/$$f || exit 1; \
	  mkdir -p $(DESTDIR)$(MANDIR)/man8; \
	  $(RELEASE)/$$f -o manpage > $(DESTDIR)$(MANDIR)/man8/$$f.8 || exit 1; \
	done
	@for p in $(ALIASES); do \
	  n=$${p%%:*}; t=$${p#*:}; \
	  ln -sfn $$t $(DESTDIR)$(SBINDIR)/$$n || exit 1; \
	  $(DESTDIR)$(SBINDIR)/$$n -o manpage > $(DESTDIR)$(MANDIR)/man8/$$n.8 || exit 1; \
	done
	@install -D -m 0755 $(RELEASE)/hasan $(DESTDIR)$(SBINDIR)/hasan
	@mkdir -p $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/bash-completion/completions \
	  $(DESTDIR)$(DATADIR)/zsh/vendor-completions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	@$(RELEASE)/hasan manpage > $(DESTDIR)$(MANDIR)/man8/hasan.8
	@$(RELEASE)/hasan completions bash > $(DESTDIR)$(DATADIR)/bash-completion/completions/hasan
	@$(RELEASE)/hasan completions zsh > $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_hasan
	@$(RELEASE)/hasan completions fish > $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/hasan.fish
	@install -D -m 0644 hasan/hasan-standby.service $(DESTDIR)$(UNITDIR)/hasan-standby.service
	@echo "installed agents [$(AGENTS)] to $(DESTDIR)$(OCFDIR), fence agents [$(FENCE) $(foreach p,$(ALIASES),$(firstword $(subst :, ,$(p))))] and hasan to $(DESTDIR)$(SBINDIR), hasan-standby.service to $(DESTDIR)$(UNITDIR)"

uninstall:
	rm -rf $(DESTDIR)$(OCFDIR)
	rm -f $(foreach f,$(FENCE) $(foreach p,$(ALIASES),$(firstword $(subst :, ,$(p)))),$(DESTDIR)$(SBINDIR)/$(f) $(DESTDIR)$(MANDIR)/man8/$(f).8) $(foreach a,$(AGENTS),$(DESTDIR)$(MANDIR)/man7/ocf_hasan_$(a).7)
	rm -f $(DESTDIR)$(SBINDIR)/hasan $(DESTDIR)$(MANDIR)/man8/hasan.8 $(DESTDIR)$(UNITDIR)/hasan-standby.service \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions/hasan $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_hasan \
	  $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/hasan.fish

# Debian packages the tests need (idempotent; does nothing when all are present).
deps:
	tests/deps.sh

# Every crate inherits the workspace's rust-version, so clippy's incompatible_msrv checks it.
lint:
	@for f in $$(find . -name Cargo.toml -not -path './target/*' -not -path './Cargo.toml'); do \
	  grep -q '^rust-version.workspace = true' $$f || { echo "$$f: add rust-version.workspace = true"; exit 1; }; \
	done
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Host tier: unit tests, then the real binaries, installed at their real paths, against real peers.
test-host: deps lint install
	$(CARGO) test --workspace --locked -- --test-threads=1

# Lab tier: a virtual two-node SAN under qemu (tests/lab/README.md): image build (cached), boot,
# install hasan into the guests, form the cluster, run tests/lab/scenarios, tear down (always).
LAB ?= tests/lab/lab
lab-test: deps
	$(LAB) all --topology pair

# The test command: every tier. The lab's guest image (cached by recipe; about 10 minutes when it is
# not) builds beside the host tier at idle priority, where the host tier mostly waits on its peers;
# its log follows the host tier's. The lab tier starts when both are done and both passed.
test: deps
	@log=$$(mktemp /tmp/hasan-lab-build.XXXXXX); \
	nice -n 19 ionice -c 3 $(LAB) build >"$$log" 2>&1 & build=$$!; \
	$(MAKE) --no-print-directory test-host; host=$$?; \
	wait $$build; built=$$?; \
	echo "--- lab build, beside the host tier (exit $$built):"; cat "$$log"; rm -f "$$log"; \
	[ $$host = 0 ] && [ $$built = 0 ] || exit 1; \
	$(MAKE) --no-print-directory lab-test

# The san topology's scenarios (70-79): the cross-node iSCSI mirror with a quorum/client node
# (tests/lab/README.md "The san topology"); not part of `make test`: a cold CI run would exceed 60 min.
san-test: deps
	$(LAB) all --topology san

# Try hasan without hardware: a running SAN in the lab (README "Try it without hardware").
# TOPOLOGY=pair (two nodes sharing a disk) or TOPOLOGY=san (two storage nodes mirroring each other's
# disks over iSCSI, a quorum/client node).
TOPOLOGY ?= $(or $(LAB_TOPOLOGY),pair)
demo: deps
	$(LAB) demo --topology $(TOPOLOGY)

demo-down:
	$(LAB) down

# Regenerate the golden meta-data in ocf-metadata/ from the binaries (review the diff!).
metadata: build
	@for a in $(AGENTS); do $(RELEASE)/$$a meta-data > ocf-metadata/$$a.xml; done
	@mkdir -p ocf-metadata/fence
	@for f in $(FENCE); do $(RELEASE)/$$f -o metadata > ocf-metadata/fence/$$f.xml; done
	@for p in $(ALIASES); do n=$${p%%:*}; t=$${p#*:}; ln -sfn $$t $(RELEASE)/$$n && $(RELEASE)/$$n -o metadata > ocf-metadata/fence/$$n.xml || exit 1; done

# Packages in $(PKGDIR): the .deb from a `make install` tree, the RPM from packaging/rpm/hasan.spec
# (built in place, reusing target/release). README "Install from packages".
PKGDIR ?= target/packages
.PHONY: deb rpm
deb: build
	packaging/deb/build-deb.sh $(PKGDIR)
rpm: build
	packaging/rpm/build-rpm.sh $(PKGDIR)

bench: install
	@for b in bench/*.sh; do [ -x "$$b" ] && "$$b"; done

clean:
	$(CARGO) clean
