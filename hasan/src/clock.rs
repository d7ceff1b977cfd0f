//! Wall-clock times as the journal has them (microseconds since the epoch, UTC), printed and
//! parsed without a time-zone database: hasan prints UTC.

use anyhow::{bail, Result};

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-30 23:41:02.123` (UTC).
pub fn datetime(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02} {}", time(us))
}

/// `23:41:02.123` (UTC).
pub fn time(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let ms = us.rem_euclid(1_000_000) / 1000;
    let s = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}.{ms:03}", s / 3600, s / 60 % 60, s % 60)
}

/// Parse `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` (UTC) or `@SECONDS` into microseconds since the epoch.
pub fn parse(text: &str) -> Result<i64> {
    let t = text.trim();
    if let Some(secs) = t.strip_prefix('@') {
        let s: f64 = secs.parse().map_err(|_| bad(text))?;
        return Ok((s * 1e6) as i64);
    }
    let (date, clock) = t.split_once([' ', 'T']).unwrap_or((t, "00:00:00"));
    let mut dp = date.split('-').map(str::parse::<i64>);
    let (Some(Ok(y)), Some(Ok(mo)), Some(Ok(d)), None) =
        (dp.next(), dp.next(), dp.next(), dp.next())
    else {
        return Err(bad(text));
    };
    let mut cp = clock.trim_end_matches('Z').split(':');
    let h: i64 = cp.next().unwrap_or("0").parse().map_err(|_| bad(text))?;
    let mi: i64 = cp.next().unwrap_or("0").parse().map_err(|_| bad(text))?;
    let s: f64 = cp.next().unwrap_or("0").parse().map_err(|_| bad(text))?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s >= 61.0 {
        bail!(bad(text));
    }
    let day = days(y, mo as u32, d as u32);
    Ok((day * 86_400 + h * 3600 + mi * 60) * 1_000_000 + (s * 1e6) as i64)
}

fn bad(text: &str) -> anyhow::Error {
    anyhow::anyhow!("--since {text:?}: expected YYYY-MM-DD HH:MM:SS (UTC) or @SECONDS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let us = parse("2026-11-30 23:41:02.123").unwrap();
        assert_eq!(datetime(us), "2026-11-30 23:41:02.123");
        assert_eq!(parse("@0").unwrap(), 0);
        assert_eq!(datetime(0), "1970-01-01 00:00:00.000");
        assert_eq!(
            datetime(parse("2024-02-29").unwrap()),
            "2024-02-29 00:00:00.000"
        );
    }

    #[test]
    fn nonsense_is_refused() {
        for t in ["yesterday", "2026-13-01", "2026-11-30 25:00", "@x"] {
            assert!(parse(t).is_err(), "{t}");
        }
    }
}
