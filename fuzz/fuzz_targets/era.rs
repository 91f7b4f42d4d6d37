//! Era (GYYMMDD, GYYMM) and Gregorian (YYYYMMDD, YYYY-MM) dates: no panic, and what is
//! accepted is written back the same way (a month that straddles two eras may be written
//! in either, so for months the check is format → parse).
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei_formats::era::{self, YearMonth};

fuzz_target!(|bytes: &[u8]| {
    let Ok(s) = std::str::from_utf8(bytes) else { return };
    if let Ok(d) = era::parse_date(s) {
        assert_eq!(era::format_date(d), s, "era date does not round-trip");
    }
    if let Ok((year, month)) = era::parse_month(s) {
        assert_eq!(era::parse_month(&era::format_month(year, month)), Ok((year, month)));
        let m = YearMonth::new(year, month).expect("parse_month returns a valid month");
        assert_eq!(era::parse_month(&m.era()), Ok((year, month)));
    }
    if let Ok(d) = era::parse_ymd(s) {
        assert_eq!(era::format_ymd(d), s, "YYYYMMDD date does not round-trip");
    }
    if let Some(m) = YearMonth::parse_dashed(s) {
        // What the command line does with a month it accepted (`--from`, `--to`).
        let _ = (m.first_day(), m.last_day(), m.days(), m.compact());
        let _ = (m.plus(1), m.plus(-1), m.months_until(m.next()));
    }
});
