//! Date operators' values (docs/evaluation.md L38, L39): the W3C profile of
//! ISO 8601 (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s]]TZD`)
//! or epoch seconds. Offsets are applied before comparing; a bare date is
//! 00:00:00 UTC; a time without a zone is read as UTC (documented in the
//! README). jiff does the calendar arithmetic.

use jiff::{Timestamp, civil, tz::TimeZone};

/// Reads a date or epoch-seconds value.
pub fn parse_date(s: &str) -> Option<Timestamp> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() > 4 {
        return Timestamp::from_second(s.parse().ok()?).ok();
    }
    if let Some((secs, frac)) = s.split_once('.').filter(|(a, b)| {
        !a.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && !b.is_empty()
            && b.bytes().all(|c| c.is_ascii_digit())
    }) {
        let nanos: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        return Timestamp::new(secs.parse().ok()?, nanos.parse().ok()?).ok();
    }
    let utc = |d: civil::DateTime| d.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
    match s.len() {
        4 => utc(civil::date(s.parse().ok()?, 1, 1).to_datetime(civil::Time::midnight())),
        7 => {
            let (y, m) = s.split_once('-')?;
            let date = civil::Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()?;
            utc(date.to_datetime(civil::Time::midnight()))
        }
        10 => utc(s
            .parse::<civil::Date>()
            .ok()?
            .to_datetime(civil::Time::midnight())),
        _ => s
            .parse::<Timestamp>()
            .ok()
            .or_else(|| utc(s.parse::<civil::DateTime>().ok()?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Option<i64> {
        parse_date(s).map(|t| t.as_second())
    }

    #[test]
    fn reads_the_w3c_profile_and_epoch() {
        assert_eq!(secs("2024-06-15T12:00:00Z"), Some(1_718_452_800));
        assert_eq!(secs("2024-06-15T14:00:00+02:00"), Some(1_718_452_800));
        assert_eq!(secs("2024-06-15T12:00Z"), Some(1_718_452_800));
        assert_eq!(secs("2024-06-15"), Some(1_718_409_600));
        assert_eq!(secs("2024-06"), Some(1_717_200_000));
        assert_eq!(secs("2024"), Some(1_704_067_200));
        assert_eq!(secs("1718452800"), Some(1_718_452_800));
        assert_eq!(
            parse_date("2024-06-15T12:00:00.5Z").map(|t| t.subsec_millisecond()),
            Some(500)
        );
        assert_eq!(secs("2024-06-15T12:00:00"), Some(1_718_452_800));
    }

    #[test]
    fn rejects_non_dates() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "15/06/2024",
            "2024-6-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
