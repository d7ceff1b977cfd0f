//! The fence_hasan_ipmi table and its glue: options → a [`Target`], a session → a power device
//! (Get Chassis Status, Chassis Control).

use std::time::{Duration, Instant};

use libfence::power::{self, Timing};
use libfence::spec::{common, FenceKind, FenceParam, FenceSpec};
use libfence::{FenceAction, FenceAgent, FenceError, Options, Power, PowerDevice, Secret};

use crate::crypto::Suite;
use crate::session::{cmd, CipherChoice, Privilege, Session, Target, CLOSE_TIMEOUT};

const IPPORT: FenceParam = FenceParam::string("ipport", "ipport", "port", "UDP port of the BMC")
    .short('u')
    .kind(FenceKind::Integer)
    .default("623");
const LANPLUS: FenceParam = FenceParam::string(
    "lanplus",
    "lanplus",
    "",
    "Use IPMI 2.0 lanplus (always on; lanplus=0 is refused)",
)
.short('P')
.kind(FenceKind::Boolean)
.default("1");
const CIPHER: FenceParam = FenceParam::string(
    "cipher",
    "cipher",
    "cipher",
    "Cipher suite: 3 (HMAC-SHA1, AES-128), 17 (HMAC-SHA256, AES-128) or auto (17 if the BMC has it, else 3)",
)
.short('C')
.kind(FenceKind::Select(&["auto", "3", "17"]))
.default("auto");
const PRIVLVL: FenceParam = FenceParam::string(
    "privlvl",
    "privlvl",
    "level",
    "Privilege level of the session (operator or administrator can switch power)",
)
.short('L')
.kind(FenceKind::Select(&[
    "callback",
    "user",
    "operator",
    "administrator",
]))
.default("administrator");
const KG: FenceParam = FenceParam::string(
    "hexadecimal_kg",
    "hexadecimal-kg",
    "key",
    "BMC key K_G in hexadecimal (up to 40 digits)",
)
.secret();
const METHOD: FenceParam = FenceParam::string(
    "method",
    "method",
    "method",
    "Reboot with verified off and on (onoff) or with the BMC's power cycle (cycle: a success only once power was seen off and then on; a cycle never seen off falls back to a verified off and on)",
)
.short('m')
.kind(FenceKind::Select(&["onoff", "cycle"]))
.default("onoff");
const BMC_GUID: FenceParam = FenceParam::string(
    "bmc_guid",
    "bmc-guid",
    "guid",
    "Pin the BMC: its GUID as sent in RAKP 2 (32 hexadecimal digits, dashes allowed; logged with verbose=1). A BMC that authenticates another GUID is refused before any command (a wrong ip or DNS answer)",
);
const TARGET: FenceParam = FenceParam::string(
    "target",
    "target",
    "address",
    "fence_ipmilan's IPMI bridging to another controller: refused (it would switch another machine)",
)
.hidden();
const PORT_AS_IP: FenceParam = FenceParam::string(
    "port_as_ip",
    "port-as-ip",
    "",
    "fence_ipmilan's plug-as-BMC-address: refused (the BMC is ip)",
)
.kind(FenceKind::Boolean)
.hidden();
const AUTH: FenceParam = FenceParam::string(
    "auth",
    "auth",
    "auth",
    "IPMI 1.5 authentication type (ignored: lanplus)",
)
.short('A')
.hidden();

static SPEC: FenceSpec = FenceSpec {
    name: "fence_hasan_ipmi",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Fence agent for IPMI 2.0 lanplus BMCs (cipher suites 3 and 17)",
    longdesc: "fence_hasan_ipmi powers a machine off, on or through a reboot through its BMC with IPMI v2.0 \
RMCP+ (lanplus), cipher suite 17 (HMAC-SHA256, AES-CBC-128) or 3 (HMAC-SHA1, AES-CBC-128). Every power change \
is verified by reading the power state back until power_timeout; the session is always closed; the password \
never appears on a command line. It controls one machine: set pcmk_host_list to the node it fences and \
nodes to the same name, so that a request naming another node fails without touching power. fence_ipmilan's \
options that would switch another machine (target, port_as_ip) are refused.",
    vendor_url: "https://www.intel.com/content/www/us/en/products/docs/servers/ipmi/ipmi-second-gen-interface-spec-v2-rev1-1.html",
    params: &[
        common::ACTION,
        common::IP,
        IPPORT,
        common::USERNAME,
        common::PASSWORD,
        common::PASSWORD_SCRIPT,
        KG,
        BMC_GUID,
        LANPLUS,
        CIPHER,
        PRIVLVL,
        METHOD,
        common::PLUG,
        common::NODES,
        common::POWER_TIMEOUT,
        common::POWER_WAIT,
        common::LOGIN_TIMEOUT,
        common::DELAY,
        common::VERBOSE,
        common::QUIET,
        common::VERIFY_SILENT,
        common::SILENT_TIMEOUT,
        common::NODENAME,
        AUTH,
        TARGET,
        PORT_AS_IP,
    ],
    actions: &[
        FenceAction::On,
        FenceAction::Off,
        FenceAction::Reboot,
        FenceAction::Status,
        FenceAction::Monitor,
        FenceAction::Metadata,
        FenceAction::Manpage,
        FenceAction::ValidateAll,
    ],
};

/// Parse `hexadecimal_kg` (optional `0x`, up to 20 bytes). All zeros means "no K_G", as in
/// ipmitool and the BMCs (an unset K_G is 20 zero bytes): `None`, like an empty value.
pub fn parse_kg(s: &str) -> Result<Option<Secret>, FenceError> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let bad = || FenceError::usage("invalid hexadecimal_kg: expected up to 40 hexadecimal digits");
    if !s.len().is_multiple_of(2) || s.len() > 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(bad)
        })
        .collect::<Result<Vec<u8>, _>>()?;
    let kg = Secret::new(bytes);
    Ok((!kg.expose().iter().all(|b| *b == 0)).then_some(kg))
}

/// Parse `bmc_guid`: 32 hexadecimal digits, dashes and braces ignored, in the byte order the BMC
/// sends in RAKP 2.
pub fn parse_guid(s: &str) -> Result<[u8; 16], FenceError> {
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '{' | '}'))
        .collect();
    let bad = || FenceError::usage("invalid bmc_guid: expected 32 hexadecimal digits");
    if digits.len() != 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut guid = [0u8; 16];
    for (i, b) in guid.iter_mut().enumerate() {
        *b = digits
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(bad)?;
    }
    Ok(guid)
}

/// The validated configuration (no password yet: it is fetched when connecting).
#[derive(Debug, Clone)]
pub struct IpmiAgent {
    host: String,
    port: u16,
    username: Vec<u8>,
    kg: Option<Secret>,
    privilege: Privilege,
    cipher: CipherChoice,
    login_timeout: Duration,
    cycle: bool,
    guid: Option<[u8; 16]>,
}

impl FenceAgent for IpmiAgent {
    const SPEC: &'static FenceSpec = &SPEC;
    /// Close Session after the last step.
    const CLOSE_SLACK: Duration = CLOSE_TIMEOUT;
    type Device = IpmiDevice;

    fn from_options(o: &Options) -> Result<Self, FenceError> {
        if o.str("target").is_some() {
            return Err(FenceError::usage(
                "target (IPMI bridging) is not supported: it would switch the machine behind another controller; point ip at that machine's own BMC",
            ));
        }
        if o.flag("port_as_ip") {
            return Err(FenceError::usage(
                "port_as_ip is not supported: the BMC is ip, and plug names the node (see nodes)",
            ));
        }
        if o.is_set("lanplus") && !o.flag("lanplus") {
            return Err(FenceError::usage("lanplus=0 (IPMI 1.5) is not supported: fence_hasan_ipmi speaks IPMI 2.0 lanplus only"));
        }
        let port = o
            .int("ipport")?
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| FenceError::usage("invalid ipport: expected 1-65535"))?;
        let username = o.str("username").unwrap_or("").as_bytes().to_vec();
        if username.len() > 16 {
            return Err(FenceError::usage("username is longer than IPMI's 16 bytes"));
        }
        if o.str("password_script").is_none() && o.str("password").is_some_and(|p| p.len() > 20) {
            return Err(FenceError::usage(
                "password is longer than IPMI 2.0's 20 bytes",
            ));
        }
        let cipher = match o.select("cipher").as_deref() {
            Some("3") => CipherChoice::Fixed(Suite::S3),
            Some("17") => CipherChoice::Fixed(Suite::S17),
            _ => CipherChoice::Auto,
        };
        let privilege = Privilege::parse(&o.select("privlvl").unwrap_or_default())
            .ok_or_else(|| FenceError::usage("invalid privlvl"))?;
        let kg = o.str("hexadecimal_kg").map(parse_kg).transpose()?.flatten();
        Ok(IpmiAgent {
            host: o.required("ip")?.trim().to_owned(),
            port,
            username,
            kg,
            privilege,
            cipher,
            login_timeout: o.seconds("login_timeout")?,
            cycle: o.select("method").as_deref() == Some("cycle"),
            guid: o.str("bmc_guid").map(parse_guid).transpose()?,
        })
    }

    fn reboot(
        &self,
        dev: &mut IpmiDevice,
        timing: Timing,
        deadline: Instant,
    ) -> Result<(), FenceError> {
        if !self.cycle {
            return power::reboot(dev, timing, deadline);
        }
        let how = power::cycle(dev, IpmiDevice::power_cycle, timing, deadline)?;
        tracing::debug!("method=cycle: {how:?}");
        Ok(())
    }

    fn connect(&self, o: &Options, deadline: Instant) -> Result<IpmiDevice, FenceError> {
        let login_by = deadline.min(Instant::now() + self.login_timeout);
        let password = o.password(login_by)?.unwrap_or_default();
        let target = Target {
            host: self.host.clone(),
            port: self.port,
            username: self.username.clone(),
            password,
            kg: self.kg.clone(),
            privilege: self.privilege,
            cipher: self.cipher,
            guid: self.guid,
        };
        let session = Session::open(&target, login_by)?;
        tracing::debug!(
            "logged in to {}:{} with cipher suite {}",
            self.host,
            self.port,
            session.suite().id()
        );
        Ok(IpmiDevice {
            session: Some(session),
            target,
        })
    }
}

/// How long a BMC may be silent inside its session before the session counts as dropped
/// (shared-NIC BMCs drop their sessions when the host powers off) and a new one is opened.
pub const SESSION_SILENCE: Duration = Duration::from_secs(2);
/// Time given to closing a session the BMC stopped answering in.
const ABANDON_GRACE: Duration = Duration::from_millis(300);

/// A logged-in BMC; it logs in again, within the deadline, when its session goes silent.
#[derive(Debug)]
pub struct IpmiDevice {
    session: Option<Session>,
    target: Target,
}

impl IpmiDevice {
    /// Run a command by `deadline`. With `again`, a session that stays silent for
    /// [`SESSION_SILENCE`] is given up and the command sent once more in a new session (only for
    /// commands that may be repeated: status, power on, power off).
    fn command(
        &mut self,
        netfn: u8,
        command: u8,
        data: &[u8],
        deadline: Instant,
        again: bool,
    ) -> Result<Vec<u8>, FenceError> {
        if let Some(session) = self.session.as_mut() {
            let by = if again {
                deadline.min(Instant::now() + SESSION_SILENCE)
            } else {
                deadline
            };
            match session.command(netfn, command, data, by) {
                Err(FenceError::Unreachable(e)) if again && Instant::now() < deadline => {
                    tracing::warn!("{e}: the BMC dropped the session, logging in again");
                    if let Some(s) = self.session.take() {
                        s.abandon(ABANDON_GRACE);
                    }
                }
                result => return result,
            }
        }
        let session = self.session.insert(Session::open(&self.target, deadline)?);
        session.command(netfn, command, data, deadline)
    }

    /// Chassis Control "power cycle" (only the BMC's acknowledgement: see [`power::cycle`];
    /// never sent twice).
    pub fn power_cycle(&mut self, deadline: Instant) -> Result<(), FenceError> {
        self.command(
            cmd::NETFN_CHASSIS,
            cmd::CHASSIS_CONTROL,
            &[0x02],
            deadline,
            false,
        )
        .map(|_| ())
    }
}

impl PowerDevice for IpmiDevice {
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError> {
        let d = self.command(
            cmd::NETFN_CHASSIS,
            cmd::GET_CHASSIS_STATUS,
            &[],
            deadline,
            true,
        )?;
        let state = d.first().ok_or_else(|| {
            FenceError::Device("BMC sent an empty Get Chassis Status reply".into())
        })?;
        Ok(if state & 1 == 1 {
            Power::On
        } else {
            Power::Off
        })
    }

    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError> {
        let control = match target {
            Power::Off => 0x00,
            Power::On => 0x01,
        };
        self.command(
            cmd::NETFN_CHASSIS,
            cmd::CHASSIS_CONTROL,
            &[control],
            deadline,
            true,
        )
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(SPEC.problems(), Vec::<String>::new());
        assert!(
            !SPEC.actions.contains(&FenceAction::List),
            "list must not be advertised"
        );
    }

    #[test]
    fn guid_parses_32_hex_digits_with_or_without_dashes() {
        let g = parse_guid("a1234567-89ab-cdef-a123-456789abcdef").unwrap();
        assert_eq!(g[0], 0xa1);
        assert_eq!(g[15], 0xef);
        assert_eq!(parse_guid("{A123456789ABCDEFA123456789ABCDEF}").unwrap(), g);
        assert!(parse_guid("a123").is_err());
        assert!(parse_guid(&"g".repeat(32)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn kg_and_guid_parsers_never_panic(s in "\\PC{0,50}") {
            let _ = parse_kg(&s);
            let _ = parse_guid(&s);
        }

        #[test]
        fn any_nonzero_kg_is_kept_and_zeros_are_none(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..=20)) {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            let kg = parse_kg(&hex).unwrap();
            if b.iter().all(|x| *x == 0) {
                proptest::prop_assert!(kg.is_none());
            } else {
                let kg = kg.unwrap();
                proptest::prop_assert_eq!(kg.expose(), b.as_slice());
            }
        }
    }

    #[test]
    fn kg_parses_hex_only() {
        assert_eq!(
            parse_kg("0x0102ff").unwrap().unwrap().expose(),
            &[1, 2, 0xff]
        );
        // All zeros is "no K_G" (ipmi_sim and BMCs without a key): the password keys the session.
        assert!(parse_kg("0000000000").unwrap().is_none());
        assert!(parse_kg(&"0".repeat(40)).unwrap().is_none());
        assert!(parse_kg("").unwrap().is_none());
        assert!(parse_kg("xyz").is_err());
        assert!(parse_kg("1").is_err());
        assert!(parse_kg(&"00".repeat(21)).is_err());
    }

    fn agent(pairs: &[(&str, &str)]) -> Result<IpmiAgent, FenceError> {
        let v: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        let (o, _) = Options::from_pairs(&SPEC, &v)?;
        IpmiAgent::from_options(&o)
    }

    #[test]
    fn options_validate() {
        let a = agent(&[
            ("ip", "127.0.0.1"),
            ("cipher", "17"),
            ("privlvl", "operator"),
        ])
        .unwrap();
        assert_eq!(
            (a.port, a.cipher, a.privilege),
            (623, CipherChoice::Fixed(Suite::S17), Privilege::Operator)
        );
        assert!(agent(&[("ip", "h"), ("lanplus", "0")]).is_err());
        assert!(agent(&[("ip", "h"), ("ipport", "70000")]).is_err());
        assert!(agent(&[("ip", "h"), ("cipher", "1")]).is_err());
        assert!(agent(&[("ip", "h"), ("username", "a-very-long-user-name")]).is_err());
        // Options that would switch another machine are refused, not ignored.
        let e = agent(&[("ip", "h"), ("target", "0x30")]).unwrap_err();
        assert!(e.to_string().starts_with("target (IPMI bridging)"), "{e}");
        let e = agent(&[("ip", "h"), ("port_as_ip", "1")]).unwrap_err();
        assert!(e.to_string().starts_with("port_as_ip"), "{e}");
        assert!(agent(&[("ip", "h"), ("port_as_ip", "0")]).is_ok());
        let shown = format!(
            "{:?}",
            agent(&[("ip", "h"), ("hexadecimal_kg", "abcd")]).unwrap()
        );
        assert!(!shown.contains("abcd") && !shown.contains("171"), "{shown}");
    }
}
