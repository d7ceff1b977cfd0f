//! The invocation environment Pacemaker gives an agent: instance, interval, timeout, check level.

use std::time::Duration;

/// What Pacemaker (or ocf-tester, or a user) told this invocation through the environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OcfEnv {
    /// `OCF_RESOURCE_INSTANCE` (empty when run by hand).
    pub instance: String,
    /// `OCF_RESKEY_CRM_meta_timeout`, the action's timeout.
    pub timeout: Option<Duration>,
    /// `OCF_RESKEY_CRM_meta_interval`; zero or absent on a probe.
    pub interval: Duration,
    /// `OCF_CHECK_LEVEL` (0 when absent or not a number).
    pub check_level: u32,
    /// Values that were present but unusable, to be logged once logging is up.
    pub warnings: Vec<String>,
}

fn millis(name: &str, raw: &str, warnings: &mut Vec<String>) -> Option<Duration> {
    match raw.trim().parse::<u64>() {
        Ok(ms) => Some(Duration::from_millis(ms)),
        Err(_) => {
            warnings.push(format!(
                "ignoring {name}={raw:?}: not a number of milliseconds"
            ));
            None
        }
    }
}

impl OcfEnv {
    /// Read the environment from variable pairs (usually `std::env::vars()`).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> OcfEnv {
        let mut env = OcfEnv::default();
        for (k, v) in vars {
            match k.as_str() {
                "OCF_RESOURCE_INSTANCE" => env.instance = v,
                "OCF_RESKEY_CRM_meta_timeout" => {
                    env.timeout = millis(&k, &v, &mut env.warnings).filter(|d| !d.is_zero());
                }
                "OCF_RESKEY_CRM_meta_interval" => {
                    env.interval = millis(&k, &v, &mut env.warnings).unwrap_or_default();
                }
                "OCF_CHECK_LEVEL" => match v.trim().parse() {
                    Ok(n) => env.check_level = n,
                    Err(_) if v.trim().is_empty() => {}
                    Err(_) => env
                        .warnings
                        .push(format!("ignoring OCF_CHECK_LEVEL={v:?}: not a number")),
                },
                _ => {}
            }
        }
        env
    }

    /// True when a monitor is a probe: no recurring interval.
    pub fn is_probe_interval(&self) -> bool {
        self.interval.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn reads_pacemaker_variables() {
        let e = OcfEnv::from_vars(vars(&[
            ("OCF_RESOURCE_INSTANCE", "vip1"),
            ("OCF_RESKEY_CRM_meta_timeout", "20000"),
            ("OCF_RESKEY_CRM_meta_interval", "10000"),
            ("OCF_CHECK_LEVEL", "10"),
        ]));
        assert_eq!(e.instance, "vip1");
        assert_eq!(e.timeout, Some(Duration::from_secs(20)));
        assert_eq!(e.interval, Duration::from_secs(10));
        assert_eq!(e.check_level, 10);
        assert!(!e.is_probe_interval());
        assert!(e.warnings.is_empty());
    }

    #[test]
    fn absent_or_zero_interval_is_a_probe() {
        assert!(OcfEnv::from_vars(vars(&[])).is_probe_interval());
        assert!(
            OcfEnv::from_vars(vars(&[("OCF_RESKEY_CRM_meta_interval", "0")])).is_probe_interval()
        );
    }

    #[test]
    fn garbage_is_ignored_with_a_warning() {
        let e = OcfEnv::from_vars(vars(&[
            ("OCF_RESKEY_CRM_meta_timeout", "20s"),
            ("OCF_CHECK_LEVEL", "deep"),
        ]));
        assert_eq!(e.timeout, None);
        assert_eq!(e.check_level, 0);
        assert_eq!(e.warnings.len(), 2);
    }
}
