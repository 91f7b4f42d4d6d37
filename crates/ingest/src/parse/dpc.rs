//! DPC files: 様式1 (unit: a case, the lines sharing one case key) and EF (unit: a line).

use super::{Context, FieldError, Quarantined, Rejected, lines, split};
use chrono::NaiveDate;
use renkei_formats::dpc::{ef, form1};

pub struct Case {
    pub file: String,
    pub line: u64,
    pub facility: String,
    pub data_id: String,
    pub admission: NaiveDate,
    pub discharge: NaiveDate,
    pub birth: NaiveDate,
    pub sex: u8,
    pub main_icd10: String,
    pub admission_icd10: String,
    pub outcome: String,
}

pub struct EfItem {
    pub file: String,
    pub line: u64,
    pub facility: String,
    pub data_id: String,
    pub admission: NaiveDate,
    pub service_date: NaiveDate,
    pub category: String,
    pub code: String,
    pub quantity: f64,
    pub points: i64,
}

fn read_case(rel: &str, group: &[(u64, &str)]) -> Result<Case, (u64, FieldError)> {
    let (first, line) = group[0];
    let at = |n: u64| move |e: FieldError| (n, e);
    let f = split(&form1::LAYOUT, line, first).map_err(at(first))?;
    let mut case = Case {
        file: rel.to_string(),
        line: first,
        facility: f.required(form1::FACILITY_CODE).map_err(at(first))?.to_string(),
        data_id: f.required(form1::DATA_ID).map_err(at(first))?.to_string(),
        admission: f.ymd(form1::ADMISSION_DATE).map_err(at(first))?,
        discharge: f.ymd(form1::DISCHARGE_DATE).map_err(at(first))?,
        birth: NaiveDate::MIN,
        sex: 0,
        main_icd10: String::new(),
        admission_icd10: String::new(),
        outcome: String::new(),
    };
    for &(n, line) in group {
        let f = split(&form1::LAYOUT, line, n).map_err(at(n))?;
        match f.text(form1::ITEM_CODE) {
            "A000010" => {
                case.birth = f.ymd(form1::PAYLOAD1).map_err(at(n))?;
                case.sex = f.sex(form1::PAYLOAD2).map_err(at(n))?;
            }
            "A000030" => case.outcome = f.text(form1::PAYLOAD2).to_string(),
            "A006010" => case.main_icd10 = f.required(form1::PAYLOAD1).map_err(at(n))?.to_string(),
            "A006020" => case.admission_icd10 = f.text(form1::PAYLOAD1).to_string(),
            _ => {}
        }
    }
    if case.sex == 0 {
        return Err((first, ("A000010".into(), "case has no birth date / sex item".into())));
    }
    Ok(case)
}

/// The case key of a 様式1 line: its first four fields.
fn case_key(line: &str) -> Vec<&str> {
    line.split('\t').take(4).collect()
}

pub fn read_form1_file(
    rel: &str,
    text: &str,
    emit: &mut dyn FnMut(Case),
    quarantine: &mut dyn FnMut(Quarantined),
) -> Result<u64, Rejected> {
    let all: Vec<(u64, &str)> = lines(text).collect();
    // A case's lines are consecutive and share 施設コード, データ識別番号 and both dates.
    let mut read = 0;
    let mut s = 0;
    while s < all.len() {
        let mut e = s + 1;
        while e < all.len() && case_key(all[e].1) == case_key(all[s].1) {
            e += 1;
        }
        read += 1;
        match read_case(rel, &all[s..e]) {
            Ok(c) => emit(c),
            Err((line, (field, reason))) => quarantine(Quarantined {
                file: rel.to_string(),
                line,
                field,
                reason,
            }),
        }
        s = e;
    }
    Ok(read)
}

fn read_item(cx: &Context, rel: &str, n: u64, line: &str) -> Result<EfItem, FieldError> {
    let f = split(&ef::LAYOUT, line, n)?;
    Ok(EfItem {
        file: rel.to_string(),
        line: n,
        facility: f.required(ef::FACILITY_CODE)?.to_string(),
        data_id: f.required(ef::DATA_ID)?.to_string(),
        admission: f.ymd(ef::ADMISSION_DATE)?,
        service_date: f.ymd(ef::SERVICE_DATE)?,
        category: f.text(ef::DATA_CATEGORY).to_string(),
        code: f
            .code_in(ef::RECEIPT_CODE, |c| cx.masters.is_receipt_code(c), "receipt")?
            .to_string(),
        quantity: f.number(ef::QUANTITY)?,
        points: f.int(ef::ACTUAL_POINTS)?,
    })
}

pub fn read_ef_file(
    cx: &Context,
    rel: &str,
    text: &str,
    emit: &mut dyn FnMut(EfItem),
    quarantine: &mut dyn FnMut(Quarantined),
) -> Result<u64, Rejected> {
    Ok(super::read_line_units(
        rel,
        text,
        |n, line| read_item(cx, rel, n, line),
        emit,
        quarantine,
    ))
}
