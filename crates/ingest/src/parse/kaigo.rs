//! 介護 claims (unit: a basic record with its detail and totals records) and care-need
//! certifications (unit: one line).

use super::{Context, FieldError, Quarantined, Rejected, lines, split};
use chrono::NaiveDate;
use renkei_formats::era::YearMonth;
use renkei_formats::kaigo::{self, basic, certification, detail};

pub struct LtcClaim {
    pub file: String,
    pub line: u64,
    pub insurer: String,
    pub insured: String,
    pub provider: String,
    pub month: YearMonth,
    pub kana: String,
    pub sex: u8,
    pub birth: NaiveDate,
    pub care_level: String,
    pub service_type: String,
    pub units: i64,
}

pub struct Certification {
    pub file: String,
    pub line: u64,
    pub insurer: String,
    pub insured: String,
    pub kana: String,
    pub sex: u8,
    pub birth: NaiveDate,
    pub certified_on: NaiveDate,
    pub care_level: String,
    pub first_judgement: String,
    pub application_kind: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub dementia_grade: String,
}

fn month(s: &str) -> Option<YearMonth> {
    // Digits only, so that the slices below fall on character boundaries.
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    YearMonth::new(s[..4].parse().ok()?, s[4..].parse().ok()?)
}

fn read_claim(cx: &Context, rel: &str, group: &[(u64, &str)]) -> Result<LtcClaim, (u64, FieldError)> {
    let (first, line) = group[0];
    let at = |n: u64| move |e: FieldError| (n, e);
    let b = split(&basic::LAYOUT, line, first).map_err(at(first))?;
    let service_month = month(b.required(basic::SERVICE_MONTH).map_err(at(first))?).ok_or((
        first,
        ("サービス提供年月".to_string(), "not a month (YYYYMM)".to_string()),
    ))?;
    let mut claim = LtcClaim {
        file: rel.to_string(),
        line: first,
        insurer: b.required(basic::INSURER_NO).map_err(at(first))?.to_string(),
        insured: b.required(basic::INSURED_NO).map_err(at(first))?.to_string(),
        provider: b.required(basic::PROVIDER_NO).map_err(at(first))?.to_string(),
        month: service_month,
        kana: b.text(basic::KANA_NAME).to_string(),
        sex: b.sex(basic::SEX).map_err(at(first))?,
        birth: b.era_date(basic::BIRTH_DATE).map_err(at(first))?,
        care_level: b.required(basic::CARE_LEVEL).map_err(at(first))?.to_string(),
        service_type: String::new(),
        units: b.int(basic::TOTAL_UNITS).map_err(at(first))?,
    };
    for &(n, line) in &group[1..] {
        let layout =
            kaigo::claim_layout_of(line).map_err(|e| (n, ("レコード種別".to_string(), super::describe(&e))))?;
        let f = split(layout, line, n).map_err(at(n))?;
        if layout.name == detail::LAYOUT.name {
            let kind = f.required(detail::SERVICE_TYPE).map_err(at(n))?;
            let item = f.required(detail::SERVICE_ITEM).map_err(at(n))?;
            if !cx.masters.ltc_services.contains(&(kind.to_string(), item.to_string())) {
                return Err((n, ("サービス項目コード".into(), "unknown service code".into())));
            }
            claim.service_type = kind.to_string();
        }
    }
    Ok(claim)
}

pub fn read_claims_file(
    cx: &Context,
    rel: &str,
    text: &str,
    emit: &mut dyn FnMut(LtcClaim),
    quarantine: &mut dyn FnMut(Quarantined),
) -> Result<u64, Rejected> {
    let all: Vec<(u64, &str)> = lines(text).collect();
    let is_basic = |l: &str| l.split(',').nth(1) == Some("01");
    if all.first().is_some_and(|(_, l)| !is_basic(l)) {
        return Err(Rejected {
            file: rel.to_string(),
            reason: "the first record is not a basic (01) record".into(),
        });
    }
    let starts: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, (_, l))| is_basic(l))
        .map(|(i, _)| i)
        .collect();
    let mut read = 0;
    for (k, &s) in starts.iter().enumerate() {
        read += 1;
        let end = starts.get(k + 1).copied().unwrap_or(all.len());
        match read_claim(cx, rel, &all[s..end]) {
            Ok(c) => emit(c),
            Err((line, (field, reason))) => quarantine(Quarantined {
                file: rel.to_string(),
                line,
                field,
                reason,
            }),
        }
    }
    Ok(read)
}

fn read_certification(rel: &str, n: u64, line: &str) -> Result<Certification, FieldError> {
    let f = split(&certification::LAYOUT, line, n)?;
    Ok(Certification {
        file: rel.to_string(),
        line: n,
        insurer: f.required(certification::INSURER_NO)?.to_string(),
        insured: f.required(certification::INSURED_NO)?.to_string(),
        kana: f.text(certification::KANA_NAME).to_string(),
        sex: f.sex(certification::SEX)?,
        birth: f.era_date(certification::BIRTH_DATE)?,
        certified_on: f.ymd(certification::CERTIFIED_ON)?,
        care_level: f.required(certification::SECOND_JUDGEMENT)?.to_string(),
        first_judgement: f.text(certification::FIRST_JUDGEMENT).to_string(),
        application_kind: f.text(certification::APPLICATION_KIND).to_string(),
        valid_from: f.optional_ymd(certification::VALID_FROM)?,
        valid_to: f.optional_ymd(certification::VALID_TO)?,
        dementia_grade: f.text(certification::DEMENTIA_GRADE).to_string(),
    })
}

pub fn read_certifications_file(
    rel: &str,
    text: &str,
    emit: &mut dyn FnMut(Certification),
    quarantine: &mut dyn FnMut(Quarantined),
) -> Result<u64, Rejected> {
    Ok(super::read_line_units(
        rel,
        text,
        |n, line| read_certification(rel, n, line),
        emit,
        quarantine,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::masters::Masters;

    /// Found by fuzzing (fuzz target `kaigo`): a サービス提供年月 of six bytes with a
    /// multi-byte character across byte 4 was sliced inside the character and panicked.
    #[test]
    fn a_service_month_with_a_multibyte_character_is_quarantined() {
        assert_eq!(month("20オ3"), None);
        assert_eq!(month("+20203"), None);
        assert_eq!(month("202403"), YearMonth::new(2024, 3));
        let line = "7131,01,20オ3,3670000078,362026,7500386091,,,ﾏﾂｵﾀｹｼ,ﾏﾂｵﾀｹｼ,3080103,1,13,20230927,20240831,1,,,,,90,438,3942,438\r\n";
        let masters = Masters::default();
        let cx = Context { masters: &masters };
        let mut entries = Vec::new();
        let read = read_claims_file(&cx, "kaigo/claims/36_202403.csv", line, &mut |_| {}, &mut |q| {
            entries.push(q)
        });
        assert_eq!(read, Ok(1));
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].line, entries[0].field.as_str()), (1, "サービス提供年月"));
    }
}
