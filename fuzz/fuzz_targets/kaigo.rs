//! 介護 files as ingest reads them: the same bytes as a claims file and as a certifications
//! file (both are comma-separated; the directory tells them apart in ingest).
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei_fuzz::parse::{self, Context, kaigo};
use renkei_fuzz::{MASTERS, check_quarantined, check_rejected};

const CLAIMS: &str = "kaigo/claims/13_202311.csv";
const CERTIFICATIONS: &str = "kaigo/certifications/13_202311.csv";

fuzz_target!(|bytes: &[u8]| {
    let text = match parse::decode(CLAIMS, bytes) {
        Ok(text) => text,
        Err(r) => return check_rejected(CLAIMS, None, &r),
    };
    let cx = Context { masters: &MASTERS };

    let mut units = 0u64;
    let mut entries = Vec::new();
    match kaigo::read_claims_file(&cx, CLAIMS, &text, &mut |_| units += 1, &mut |q| entries.push(q)) {
        Ok(read) => assert_eq!(
            read,
            units + entries.len() as u64,
            "every claim read is emitted or quarantined"
        ),
        Err(r) => check_rejected(CLAIMS, Some(&text), &r),
    }
    for q in &entries {
        check_quarantined(CLAIMS, &text, q);
    }

    let mut units = 0u64;
    let mut entries = Vec::new();
    match kaigo::read_certifications_file(CERTIFICATIONS, &text, &mut |_| units += 1, &mut |q| entries.push(q)) {
        Ok(read) => assert_eq!(
            read,
            units + entries.len() as u64,
            "every line read is emitted or quarantined"
        ),
        Err(r) => check_rejected(CERTIFICATIONS, Some(&text), &r),
    }
    for q in &entries {
        check_quarantined(CERTIFICATIONS, &text, q);
    }
});
