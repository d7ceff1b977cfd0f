//! Shared harness for host-tier tests: locating the built binaries, running them as Pacemaker would.
