//! DPC files as ingest reads them: the same bytes as a 様式1 file and as an EF file (both
//! tab-separated; the file name tells them apart in ingest).
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei_fuzz::parse::{self, Context, dpc};
use renkei_fuzz::{MASTERS, check_quarantined, check_rejected};

const FORM1: &str = "dpc/130100016/FF1_202401.txt";
const EF: &str = "dpc/130100016/EF_202401.txt";

fuzz_target!(|bytes: &[u8]| {
    let text = match parse::decode(FORM1, bytes) {
        Ok(text) => text,
        Err(r) => return check_rejected(FORM1, None, &r),
    };
    let cx = Context { masters: &MASTERS };

    let mut units = 0u64;
    let mut entries = Vec::new();
    match dpc::read_form1_file(FORM1, &text, &mut |_| units += 1, &mut |q| entries.push(q)) {
        Ok(read) => assert_eq!(
            read,
            units + entries.len() as u64,
            "every case read is emitted or quarantined"
        ),
        Err(r) => check_rejected(FORM1, Some(&text), &r),
    }
    for q in &entries {
        check_quarantined(FORM1, &text, q);
    }

    let mut units = 0u64;
    let mut entries = Vec::new();
    match dpc::read_ef_file(&cx, EF, &text, &mut |_| units += 1, &mut |q| entries.push(q)) {
        Ok(read) => assert_eq!(
            read,
            units + entries.len() as u64,
            "every line read is emitted or quarantined"
        ),
        Err(r) => check_rejected(EF, Some(&text), &r),
    }
    for q in &entries {
        check_quarantined(EF, &text, q);
    }
});
