//! The table of ocf:hasan:smb: parameters, actions and default timeouts (the single source of
//! meta-data, parameter parsing and the man page).

use libocf::{Action, ActionSpec, AgentSpec, ParamSpec};

/// Samba's configuration file on Debian and RHEL.
pub const DEFAULT_SMB_CONF: &str = "/etc/samba/smb.conf";
/// Samba's private directory (passdb.tdb, secrets.tdb) on Debian and RHEL.
pub const DEFAULT_PRIVATE_DIR: &str = "/var/lib/samba/private";

/// The agent's table.
pub const SPEC: AgentSpec = AgentSpec {
    name: "smb",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Samba's smbd with smb.conf and its private directory served from the pool",
    longdesc: "Runs Samba's smbd (the distribution's unit: smbd on Debian/Ubuntu, smb on \
RHEL/Rocky/Alma) with smb.conf and Samba's private directory (passdb.tdb with the users' password \
hashes, secrets.tdb) on the pool, so that both nodes serve the same shares to the same users. \
Before anything changes, start checks the pool's smb.conf with testparm -s (a configuration \
testparm rejects fails start with testparm's message and changes nothing) and that it binds smbd \
to the service address only (interfaces names ip, bind interfaces only = yes). Then it links \
smb.conf and private/ to config_dir, moving the node's own aside, and starts the unit. Stop stops \
it and puts the node's own files back, so nothing dangles on the passive node. Both are idempotent \
and a start or stop killed half-way is completed by the next one. Monitor runs no program: smbd \
alive (its pid file and /proc) and port 445 listening on ip (/proc/net/tcp, tcp6). Order the \
resource after the pool and the VIP (one group): when config_dir is missing a probe answers not \
running and start fails saying so.",
    parameters: &[
        ParamSpec::string(
            "config_dir",
            "Directory on the pool with smb.conf and private/",
        )
        .required()
        .unique()
        .long(
            "Absolute path of a directory on the pool, e.g. /san-pool/cluster-config/samba, \
holding smb.conf and private/ (Samba's private directory: create it once with smbpasswd -a on the \
node that has the pool while the resource runs, or copy /var/lib/samba/private there). Edit \
smb.conf there, never on a node.",
        ),
        ParamSpec::string("ip", "The service address (the VIP) smbd binds to")
            .required()
            .unique()
            .long(
                "The service address clients use. smb.conf must name it in interfaces (alone or \
as ip/prefix) and set bind interfaces only = yes, so that smbd of this resource never answers on \
a node's own address; start checks both. Monitor checks that 445 listens on it.",
            ),
        ParamSpec::string("smb_conf", "Local path of smb.conf")
            .default(DEFAULT_SMB_CONF)
            .long(
                "Where Samba reads its configuration on the nodes; linked to config_dir/smb.conf.",
            ),
        ParamSpec::string("private_dir", "Local path of Samba's private directory")
            .default(DEFAULT_PRIVATE_DIR)
            .long(
                "Samba's private dir as compiled in (smbd -b | grep PRIVATE_DIR); linked to \
config_dir/private.",
            ),
        ParamSpec::string("unit", "systemd unit of smbd").long(
            "The systemd unit that runs smbd. Default: smbd.service on Debian and Ubuntu, \
smb.service on RHEL, Rocky, Alma, CentOS and Fedora (from /etc/os-release).",
        ),
    ],
    actions: &[
        ActionSpec::new(Action::Start, 120),
        ActionSpec::new(Action::Stop, 120),
        ActionSpec::monitor(20, 10, 0),
        ActionSpec::new(Action::ValidateAll, 30),
        ActionSpec::new(Action::MetaData, 5),
    ],
};
