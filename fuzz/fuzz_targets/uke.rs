//! A UKE claim file as ingest reads it: bytes → Shift_JIS text → claims, quarantine entries
//! or a rejection of the whole file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei_fuzz::parse::{self, Context, uke};
use renkei_fuzz::{MASTERS, check_quarantined, check_rejected};

const REL: &str = "ndb/202311/0110100016_1.UKE";

fuzz_target!(|bytes: &[u8]| {
    let text = match parse::decode(REL, bytes) {
        Ok(text) => text,
        Err(r) => return check_rejected(REL, None, &r),
    };
    let cx = Context { masters: &MASTERS };
    let mut claims = 0u64;
    let mut entries = Vec::new();
    match uke::read_file(&cx, REL, &text, &mut |_| claims += 1, &mut |q| entries.push(q)) {
        Ok(read) => assert_eq!(
            read,
            claims + entries.len() as u64,
            "every claim read is emitted or quarantined"
        ),
        Err(r) => check_rejected(REL, Some(&text), &r),
    }
    for q in &entries {
        check_quarantined(REL, &text, q);
    }
});
