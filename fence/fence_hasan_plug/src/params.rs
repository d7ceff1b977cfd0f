//! The parameters of the plug agents that libfence does not share, and the three tables:
//! fence_hasan_plug (any type), fence_kasa and fence_http (the names the replaced deployment used).

use libfence::spec::common;
use libfence::FenceAction;
use libfence::{FenceKind, FenceParam, FenceSpec};

/// The device types, in the order meta-data lists them.
pub const TYPES: &[&str] = &["tasmota", "shelly1", "shelly2", "esphome", "kasa", "http"];

pub const PLUG_TYPE: FenceParam = FenceParam::string(
    "plug_type",
    "plug-type",
    "type",
    "Type of smart plug: tasmota, shelly1 (Gen1), shelly2 (Gen2/Gen3 RPC), esphome, kasa (legacy protocol) or http (generic)",
)
.short('t')
.kind(FenceKind::Select(TYPES))
.required();
pub const IPPORT: FenceParam = FenceParam::string(
    "ipport",
    "ipport",
    "port",
    "TCP port of the device (default 80, 443 with ssl, 9999 for kasa)",
)
.short('u')
.kind(FenceKind::Integer);
pub const SSL: FenceParam =
    FenceParam::string("ssl", "ssl", "", "Use HTTPS (certificate verified)")
        .short('z')
        .kind(FenceKind::Boolean);
pub const SSL_INSECURE: FenceParam = FenceParam::string(
    "ssl_insecure",
    "ssl-insecure",
    "",
    "Use HTTPS without verifying the certificate (self-signed device certificates)",
)
.kind(FenceKind::Boolean);
pub const SWITCH_NAME: FenceParam = FenceParam::string(
    "switch_name",
    "switch-name",
    "id",
    "esphome: the switch's id (the same as plug)",
);
pub const POWER_ON_URL: FenceParam = FenceParam::string(
    "power_on_url",
    "power-on-url",
    "url",
    "http: path on ip (or full URL) that switches the plug on",
)
.secret();
pub const POWER_OFF_URL: FenceParam = FenceParam::string(
    "power_off_url",
    "power-off-url",
    "url",
    "http: path on ip (or full URL) that switches the plug off",
)
.secret();
pub const STATUS_URL: FenceParam = FenceParam::string(
    "status_url",
    "status-url",
    "url",
    "http: path on ip (or full URL) that shows the plug's state",
)
.secret();
pub const STATUS_ON_REGEX: FenceParam = FenceParam::string(
    "status_on_regex",
    "status-on-regex",
    "regex",
    "http: regular expression that matches the status reply when the plug is on",
);
pub const STATUS_OFF_REGEX: FenceParam = FenceParam::string(
    "status_off_regex",
    "status-off-regex",
    "regex",
    "http: regular expression that matches the status reply when the plug is off",
);
pub const HTTP_METHOD: FenceParam = FenceParam::string(
    "http_method",
    "http-method",
    "method",
    "http: method of the on and off requests",
)
.kind(FenceKind::Select(&["GET", "POST"]))
.default("GET");

/// Actions of the types that may have several outlets (Kasa strips: `list`, `list-status`).
const ACTIONS_WITH_LIST: &[FenceAction] = &[
    FenceAction::On,
    FenceAction::Off,
    FenceAction::Reboot,
    FenceAction::Status,
    FenceAction::Monitor,
    FenceAction::List,
    FenceAction::ListStatus,
    FenceAction::Metadata,
    FenceAction::Manpage,
    FenceAction::ValidateAll,
];

const ACTIONS: &[FenceAction] = &[
    FenceAction::On,
    FenceAction::Off,
    FenceAction::Reboot,
    FenceAction::Status,
    FenceAction::Monitor,
    FenceAction::Metadata,
    FenceAction::Manpage,
    FenceAction::ValidateAll,
];

/// A parameter table: the agent's own parameters, then the options every plug agent ends with.
macro_rules! params_then_common_tail {
    ($($param:expr),* $(,)?) => {
        &[
            $($param,)*
            common::POWER_TIMEOUT,
            common::POWER_WAIT,
            common::LOGIN_TIMEOUT,
            common::DELAY,
            common::VERIFY_SILENT,
            common::SILENT_TIMEOUT,
            common::VERBOSE,
            common::QUIET,
            common::NODENAME,
        ]
    };
}

const VENDOR_URL: &str = "https://tasmota.github.io/docs/Commands/";

/// fence_hasan_plug: every type.
pub static PLUG_SPEC: FenceSpec = FenceSpec {
    name: "fence_hasan_plug",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Fence agent for smart plugs: Tasmota, Shelly Gen1/Gen2, ESPHome, TP-Link Kasa, generic HTTP",
    longdesc: "fence_hasan_plug cuts the power of a machine through the smart plug it is plugged into. \
plug_type selects the protocol: tasmota (GET /cm, password as user/password query parameters), shelly1 \
(Gen1 /relay/N, HTTP Basic), shelly2 (Gen2/Gen3 RPC Switch.Set/Switch.GetStatus, HTTP Digest SHA-256, user admin), \
esphome (web server REST /switch/ID, optional Basic or Digest), kasa (TP-Link legacy protocol on TCP 9999; \
strips by outlet id, alias or number in plug) or http (power_on_url, power_off_url, status_url and two regular \
expressions). plug selects the relay, switch or outlet. Every power change is verified by reading the state \
back until power_timeout; a plug that reports success without switching fails the fence. Each request waits \
at most login_timeout seconds, within the action's deadline; replies are size-capped and redirects to another \
host are not followed. Passwords and URLs never appear in logs or errors.",
    vendor_url: VENDOR_URL,
    params: params_then_common_tail![
        common::ACTION,
        PLUG_TYPE,
        common::IP,
        IPPORT,
        SSL,
        SSL_INSECURE,
        common::USERNAME,
        common::PASSWORD,
        common::PASSWORD_SCRIPT,
        common::PLUG,
        SWITCH_NAME,
        POWER_ON_URL,
        POWER_OFF_URL,
        STATUS_URL,
        STATUS_ON_REGEX,
        STATUS_OFF_REGEX,
        HTTP_METHOD,
    ],
    actions: ACTIONS_WITH_LIST,
};

/// fence_kasa: plug_type kasa.
pub static KASA_SPEC: FenceSpec = FenceSpec {
    name: "fence_kasa",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Fence agent for TP-Link Kasa smart plugs and strips (legacy local protocol)",
    longdesc: "fence_kasa (fence_hasan_plug with plug_type=kasa) switches a TP-Link Kasa plug, or one outlet \
of a Kasa strip (plug: the outlet's id, alias or number 1..N), with the legacy local protocol on TCP 9999. \
Every power change is verified by reading the state back until power_timeout. Firmware that speaks only the \
newer KLAP protocol refuses the legacy protocol: fence_kasa says so and fails.",
    vendor_url: "https://www.tp-link.com/us/support/faq/2707/",
    params: params_then_common_tail![
        common::ACTION,
        common::IP,
        IPPORT,
        common::PLUG,
    ],
    actions: ACTIONS_WITH_LIST,
};

/// fence_http: plug_type http.
pub static HTTP_SPEC: FenceSpec = FenceSpec {
    name: "fence_http",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Fence agent for smart plugs switched by plain HTTP requests",
    longdesc: "fence_http (fence_hasan_plug with plug_type=http) switches a plug by requesting power_off_url \
or power_on_url (paths on ip, or full URLs) and reads its state from status_url, whose reply must match \
exactly one of status_on_regex and status_off_regex. Every power change is verified by reading the state back \
until power_timeout. Credentials come from username/password or from the URL; neither is ever logged.",
    vendor_url: "https://www.rfc-editor.org/rfc/rfc9110",
    params: params_then_common_tail![
        common::ACTION,
        common::IP,
        IPPORT,
        SSL,
        SSL_INSECURE,
        common::USERNAME,
        common::PASSWORD,
        common::PASSWORD_SCRIPT,
        common::PLUG,
        POWER_ON_URL,
        POWER_OFF_URL,
        STATUS_URL,
        STATUS_ON_REGEX,
        STATUS_OFF_REGEX,
        HTTP_METHOD,
    ],
    actions: ACTIONS,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for s in [&PLUG_SPEC, &KASA_SPEC, &HTTP_SPEC] {
            assert_eq!(s.problems(), Vec::<String>::new(), "{}", s.name);
        }
    }
}
