//! ocf:hasan:iscsi's table: parameters, actions and default timeouts (the single source of
//! meta-data, parameter parsing, defaults and the man page).

use libocf::{Action, ActionSpec, AgentSpec, ParamSpec};

/// ocf:hasan:iscsi's table.
pub const SPEC: AgentSpec = AgentSpec {
    name: "iscsi",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "An LIO iSCSI target with its zvol LUNs, ACLs and CHAP, on a VIP",
    longdesc: "Manages one iSCSI target of the Linux kernel target (LIO) through configfs \
(/sys/kernel/config/target) directly, with no targetcli or rtslib process: its TPG 1, one LUN \
per zvol (iblock backstores named hasan-<tag>-lun<N>), one ACL per allowed initiator (no demo \
mode), CHAP from a credentials file, and its portals. Start builds everything and enables the TPG \
last, so no initiator sees a half-built target; it converges whatever a killed start left. Stop \
disables the TPG first, then removes the portals, ACLs, LUNs, the target and its backstores, so \
no zvol stays open and the pool can be exported. Every other LIO object (backend targets, other \
backstores) is left untouched. LUN numbers are kept in the ZFS user property hasan:lun of each \
zvol and unit serials (hence NAA WWNs) are derived from the zvol's guid, so initiators see the \
same disks after a restart or failover. Monitor reads configfs and /proc only.",
    parameters: PARAMS,
    actions: &[
        ActionSpec::new(Action::Start, 90),
        ActionSpec::new(Action::Stop, 90),
        ActionSpec::monitor(30, 10, 0),
        ActionSpec::monitor(60, 60, 10),
        ActionSpec::new(Action::Reload, 90),
        ActionSpec::new(Action::ValidateAll, 30),
        ActionSpec::new(Action::MetaData, 5),
    ],
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("iqn", "The target's IQN")
        .required()
        .unique()
        .long(
            "The iSCSI name of the target this resource owns, e.g. iqn.2024-01.com.example:san \
(lowercase; iqn., eui. or naa. form). Every LIO object under it is this agent's.",
        ),
    ParamSpec::string(
        "portals",
        "Portals, ADDR:PORT, separated by blanks or commas",
    )
    .required()
    .long(
        "Where the target listens: one or more ADDR:PORT (192.0.2.10:3260, \
[2001:db8::10]:3260; the port defaults to 3260). 0.0.0.0 and :: are refused: the target listens \
on the VIP only. An address that is not on this node fails start, naming the resource that adds \
it, unless net.ipv4/ipv6.ip_nonlocal_bind is 1: order the VIP before this resource.",
    ),
    ParamSpec::string("luns", "zvols, or one dataset whose zvols are all exported")
        .required()
        .long(
            "The zvols to export, separated by blanks or commas (san-pool/vm1 san-pool/vm2), or a \
dataset (san-pool/iscsi) whose zvols are all exported, also those created later (reload or \
restart adds them; monitor at depth 10 reports one not exported yet). All in one pool. A zvol \
gets its LUN number once, stored in its ZFS user property hasan:lun; a new one gets the next \
number of the pool's counter hasan:lun-next, so numbers never move or get reused.",
        ),
    ParamSpec::string("allowed_initiators", "Initiator IQNs that may log in")
        .required()
        .long(
            "The initiators allowed to log in (one ACL each, every LUN mapped read-write), \
separated by blanks or commas. No other initiator can log in: the TPG has no demo mode.",
        ),
    ParamSpec::select(
        "chap",
        &["none", "one-way", "mutual"],
        "CHAP authentication",
    )
    .default("none")
    .long(
        "none: no CHAP (ACLs only). one-way: every initiator authenticates with CHAP. \
mutual: the target authenticates to the initiator too. Credentials come from chap_file.",
    ),
    ParamSpec::string("chap_file", "The CHAP credentials file").long(
        "JSON {\"per_initiator\": {\"1:<initiator iqn>\": {\"user\": …, \"pass\": …}}, \
\"per_tpg\": {\"1\": {\"user\": …, \"pass\": …}}}; an entry may add mutual_user and mutual_pass \
(the target's credentials for mutual CHAP). per_initiator wins over per_tpg; the TPG may be \
written 1, tpg1 or tpgt_1. The file is either plain (mode 0600) or the output of openssl enc \
-aes-256-cbc -pbkdf2 -salt -pass file:<chap_key_file> (binary or -a). A file that cannot be read, \
decrypted or parsed, or lacks an initiator's credentials, fails start with 6. Secrets go only \
into configfs.",
    ),
    ParamSpec::string("chap_key_file", "Pass file of an encrypted chap_file")
        .default("/etc/machine-id")
        .long(
            "The file whose first line is the pass phrase of an encrypted chap_file (openssl's \
-pass file:). /etc/machine-id differs on every node: each node needs the file encrypted with its \
own.",
        ),
    ParamSpec::string("dbroot", "Directory for LIO's persistent-reservation state").long(
        "Set LIO's dbroot (/sys/kernel/config/target/dbroot) to this directory, on the pool, so \
that persistent reservations (APTPL) move with it. LIO lets dbroot change only while it has no \
backstore at all: if another one exists and dbroot differs, start fails with the reason.",
    ),
    ParamSpec::integer("zvol_wait", 0, 600, "Seconds to wait for zvol device nodes")
        .default("30")
        .long("Start waits this long (within its timeout) for /dev/zvol/… of every LUN."),
];
