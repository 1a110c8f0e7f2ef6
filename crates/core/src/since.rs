//! The one `--since` grammar, shared by every CLI command and the app.
//!
//! It is the union of the two grammars the project grew: gptme-sessions'
//! `_parse_since` (`90s`, `30m`, `2h`, `7d`, `2w`, long unit names such as `min`,
//! `hours`, `weeks`, decimals such as `1.5d`, a bare number meaning days, an optional
//! trailing `ago` as in `"2 hours ago"`, and `all` or nothing for no limit) and a
//! calendar day `2026-11-01` (midnight UTC), which `usage`, `sessions` and `search`
//! accepted.
//!
//! Parsing never panics, whatever the text, and the cut-off saturates: a window older
//! than the calendar can hold (`100000000`, `9999999999999w`) means "since the
//! beginning", because that is what the user asked for.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// A `--since` value that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value '{0}' for '--since' (expected e.g. 90s, 30m, 2h, 7d, 2w, '2 hours ago', 2026-11-01, or 'all')")]
pub struct SinceError(pub String);

/// How far back to look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Since {
    /// The last so many seconds before "now" (finite, never negative).
    Window { seconds: f64 },
    /// From midnight UTC of this day on.
    Day(NaiveDate),
}

impl Since {
    /// A window of `days` days.
    pub fn days(days: f64) -> Since {
        Since::Window {
            seconds: days * 86400.0,
        }
    }

    /// The earliest moment that passes, `now` being the reference. Saturates at the
    /// earliest time the calendar holds.
    pub fn cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Since::Day(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
            Since::Window { seconds } => {
                // Micro-second precision keeps gptme-sessions' float comparison; the
                // `as` cast saturates on huge or infinite windows.
                let micros = (seconds * 1e6).ceil() as i64;
                now.checked_sub_signed(TimeDelta::microseconds(micros))
                    .unwrap_or(DateTime::<Utc>::MIN_UTC)
            }
        }
    }

    /// The window in days before `now` (what "No sessions in the last N days" says).
    pub fn days_before(&self, now: DateTime<Utc>) -> f64 {
        match *self {
            Since::Window { seconds } => seconds / 86400.0,
            Since::Day(_) => (now - self.cutoff(now)).num_seconds() as f64 / 86400.0,
        }
    }
}

/// Parse a `--since` value; `Ok(None)` means no limit (`all` or empty).
pub fn parse_since(text: &str) -> Result<Option<Since>, SinceError> {
    let s = text.trim().to_lowercase();
    if s.is_empty() || s == "all" {
        return Ok(None);
    }
    if let Ok(day) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        return Ok(Some(Since::Day(day)));
    }
    let amount = split_amount(&s)
        .filter(|(_, unit)| *unit != "ago")
        .or_else(|| {
            s.strip_suffix("ago")
                .and_then(|rest| split_amount(rest.trim()))
        });
    let Some((value, unit)) = amount else {
        return Err(SinceError(text.to_string()));
    };
    let seconds_per_unit = match unit {
        "" | "d" | "day" | "days" => 86400.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "w" | "wk" | "wks" | "week" | "weeks" => 7.0 * 86400.0,
        _ => return Err(SinceError(text.to_string())),
    };
    let seconds = value * seconds_per_unit;
    // Hundreds of digits overflow to infinity: still "since the beginning".
    let seconds = if seconds.is_finite() {
        seconds
    } else {
        f64::MAX
    };
    Ok(Some(Since::Window { seconds }))
}

/// `<digits>[.<digits>]<spaces><letters>` → (number, unit); anything else is `None`.
fn split_amount(s: &str) -> Option<(f64, &str)> {
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let num = &s[..num_end];
    let valid_number = !num.is_empty()
        && !num.starts_with('.')
        && !num.ends_with('.')
        && num.matches('.').count() <= 1;
    if !valid_number {
        return None;
    }
    let unit = s[num_end..].trim_start();
    if !unit.chars().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    Some((num.parse().ok()?, unit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-11-10T12:00:00Z".parse().unwrap()
    }

    fn cutoff(text: &str) -> DateTime<Utc> {
        parse_since(text).unwrap().unwrap().cutoff(now())
    }

    #[test]
    fn gptme_units_and_spellings() {
        assert_eq!(
            cutoff("90s"),
            "2026-11-10T11:58:30Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(cutoff("30m"), cutoff("30 minutes"));
        assert_eq!(
            cutoff("2h"),
            "2026-11-10T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(cutoff("2 hours ago"), cutoff("2h"));
        assert_eq!(cutoff("3 ago"), cutoff("3d"));
        assert_eq!(
            cutoff("7d"),
            "2026-11-03T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(cutoff("30"), cutoff("30d"));
        assert_eq!(cutoff("1.5d"), cutoff("36h"));
        assert_eq!(cutoff("2w"), cutoff("14 days"));
        assert_eq!(parse_since(" ALL "), Ok(None));
        assert_eq!(parse_since(""), Ok(None));
    }

    #[test]
    fn calendar_day_is_midnight_utc() {
        assert_eq!(
            cutoff("2026-11-01"),
            "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let days = parse_since("2026-11-09")
            .unwrap()
            .unwrap()
            .days_before(now());
        assert_eq!(days, 1.5);
    }

    #[test]
    fn nonsense_is_an_error_that_names_the_value() {
        for bad in [
            "7y",
            "d",
            "-3d",
            "7x",
            "1..2d",
            ".5d",
            "2026-13-01",
            "3 d s",
        ] {
            let err = parse_since(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    /// The values that panicked in the CLI (issue 20) go back to the beginning.
    #[test]
    fn windows_beyond_the_calendar_saturate() {
        let beginning = DateTime::<Utc>::MIN_UTC;
        assert_eq!(cutoff("100000000"), beginning);
        assert_eq!(cutoff("9999999999999w"), beginning);
        assert_eq!(cutoff(&"9".repeat(400)), beginning);
        assert_eq!(Since::Window { seconds: f64::MAX }.cutoff(now()), beginning);
    }

    proptest! {
        #[test]
        fn any_text_parses_or_errs_without_panicking(text in "\\PC*") {
            if let Ok(Some(since)) = parse_since(&text) {
                let at = since.cutoff(now());
                prop_assert!(at <= now() || matches!(since, Since::Day(_)));
                let _ = since.days_before(now());
            }
        }

        #[test]
        fn any_number_with_any_unit_never_panics(
            number in "[0-9]{1,30}(\\.[0-9]{1,10})?",
            unit in "(s|m|h|d|w|min|hours|weeks|)( ago)?",
        ) {
            let since = parse_since(&format!("{number}{unit}")).unwrap().unwrap();
            prop_assert!(since.cutoff(now()) <= now());
            prop_assert!(since.cutoff(DateTime::<Utc>::MIN_UTC) == DateTime::<Utc>::MIN_UTC);
        }
    }
}
