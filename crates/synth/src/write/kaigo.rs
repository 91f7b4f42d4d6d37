//! 介護DB claims and care-need certifications.

use super::Sink;
use super::identity::written_name;
use super::uke::system_id;
use crate::person::{Person, Residence};
use renkei_formats::era::{self, YearMonth};
use renkei_formats::kaigo::{CARE_LEVELS, basic, certification, detail, totals};

/// Service item code absent from the master, written by the `unknown_code` defect.
pub const UNKNOWN_SERVICE_ITEM: &str = "9999";

fn residence_at(person: &Person, month: YearMonth) -> &Residence {
    person
        .residences
        .iter()
        .rev()
        .find(|r| r.from <= month)
        .unwrap_or(&person.residences[0])
}

fn level_code(level: Option<usize>) -> &'static str {
    level.map_or("01", |l| CARE_LEVELS[l].0)
}

/// The fields every claim record starts with: exchange id, month, provider, insurer, insured.
fn common<'b>(
    line: renkei_formats::Line<'b>,
    exchange: &str,
    month: &str,
    provider: &str,
    insurer: &str,
    insured: &str,
) -> renkei_formats::Line<'b> {
    line.put(basic::EXCHANGE_ID, exchange)
        .put(basic::SERVICE_MONTH, month)
        .put(basic::PROVIDER_NO, provider)
        .put(basic::INSURER_NO, insurer)
        .put(basic::INSURED_NO, insured)
}

pub fn write_person(sink: &mut Sink, person: &Person) {
    write_claims(sink, person);
    write_certifications(sink, person);
}

fn write_claims(sink: &mut Sink, person: &Person) {
    let (cfg, world) = (sink.cfg, sink.world);
    for claim in &person.ltc {
        let residence = residence_at(person, claim.month);
        let insurer = &world.municipalities[residence.municipality].code;
        let provider = &world.providers[claim.provider];
        let service = claim.service.row();
        let name = written_name(cfg, person, system_id(&provider.number), claim.month.first_day());
        let birth = era::format_date(person.birth);
        let units = service.units[claim.level] * claim.times;
        let yen = (f64::from(units) * world.ltc_unit_price).floor() as u64;
        let claimed = (f64::from(units) * world.ltc_unit_price * 0.9).floor() as u64;
        let exchange = if service.residential { "7171" } else { "7131" };
        let month = claim.month.compact();
        let rel = format!("kaigo/claims/{:02}_{month}.csv", world.code);
        let defect = sink.defect(&["missing_birth_date", "unknown_code", "wrong_field_count"]);

        let out = sink.files.file(&rel, |_| {});
        out.claims += 1;
        let ids = (
            exchange,
            month.as_str(),
            provider.number.as_str(),
            insurer.as_str(),
            residence.ltc_number.as_str(),
        );
        let (basic_line, buf) = out.next_line();
        let mut line = common(basic::LAYOUT.line(buf), ids.0, ids.1, ids.2, ids.3, ids.4)
            .put(basic::KANA_NAME, &name.kana)
            .put(basic::NAME, &name.name);
        if defect != Some("missing_birth_date") {
            line = line.put(basic::BIRTH_DATE, &birth);
        }
        line = line
            .put(basic::SEX, person.sex)
            .put(basic::CARE_LEVEL, level_code(Some(claim.level)))
            .put(basic::CERT_FROM, era::format_ymd(claim.cert_from))
            .put(basic::CERT_TO, era::format_ymd(claim.cert_to));
        if !service.residential {
            line = line.put(basic::PLAN_CLASS, 1);
        }
        if let Some(d) = claim.ended_by_death.filter(|d| YearMonth::of(*d) == claim.month) {
            line = line.put(basic::END_DATE, era::format_ymd(d)).put(basic::END_REASON, 3);
        }
        line.put(basic::BENEFIT_RATE, 90)
            .put(basic::TOTAL_UNITS, units)
            .put(basic::CLAIM_AMOUNT, claimed)
            .put(basic::USER_AMOUNT, yen - claimed)
            .end();

        let (detail_line, buf) = out.next_line();
        let item = if defect == Some("unknown_code") {
            UNKNOWN_SERVICE_ITEM
        } else {
            service.item
        };
        let line = common(detail::LAYOUT.line(buf), ids.0, ids.1, ids.2, ids.3, ids.4)
            .put(detail::SERVICE_TYPE, service.kind)
            .put(detail::SERVICE_ITEM, item)
            .put(detail::UNITS, service.units[claim.level])
            .put(detail::TIMES, claim.times)
            .put(detail::SERVICE_UNITS, units);
        if defect == Some("wrong_field_count") {
            line.end_short()
        } else {
            line.end()
        }

        let (_, buf) = out.next_line();
        common(totals::LAYOUT.line(buf), ids.0, ids.1, ids.2, ids.3, ids.4)
            .put(totals::SERVICE_TYPE, service.kind)
            .put(totals::SERVICE_DAYS, claim.times)
            .put(totals::PLANNED_UNITS, units)
            .put(totals::LIMITED_UNITS, if service.residential { 0 } else { units })
            .put(totals::UNLIMITED_UNITS, 0)
            .put(totals::BENEFIT_UNITS, units)
            .put(totals::UNIT_PRICE, format!("{:.2}", world.ltc_unit_price))
            .put(totals::CLAIM_AMOUNT, claimed)
            .put(totals::USER_AMOUNT, yen - claimed)
            .end();

        let t = &mut *sink.truth;
        t.records
            .push(("kaigo", rel.clone(), basic_line, "ltc_claim", person.index));
        if let Some(kind) = defect {
            let line = if kind == "missing_birth_date" {
                basic_line
            } else {
                detail_line
            };
            t.defects.push(("kaigo", rel, line, kind));
        }
        t.identifier(person.index, "kaigo", "name", &name.name);
        t.identifier(person.index, "kaigo", "kana_name", &name.kana);
        t.identifier(person.index, "kaigo", "birth_date", &birth);
        t.identifier(person.index, "kaigo", "ltc_insured_number", &residence.ltc_number);
    }
}

fn write_certifications(sink: &mut Sink, person: &Person) {
    let (cfg, world) = (sink.cfg, sink.world);
    for cert in &person.certifications {
        let residence = residence_at(person, YearMonth::of(cert.applied));
        let insurer = &world.municipalities[residence.municipality].code;
        let name = written_name(cfg, person, system_id(insurer), cert.applied);
        let birth = era::format_date(person.birth);
        let rel = format!(
            "kaigo/certifications/{:02}_{}.csv",
            world.code,
            YearMonth::of(cert.decided).compact()
        );
        let defect = sink.defect(&["missing_birth_date", "wrong_field_count"]);
        let out = sink.files.file(&rel, |_| {});
        let (n, buf) = out.next_line();
        let mut line = certification::LAYOUT
            .line(buf)
            .put(certification::INSURER_NO, insurer)
            .put(certification::INSURED_NO, &residence.ltc_number)
            .put(certification::KANA_NAME, &name.kana)
            .put(certification::NAME, &name.name);
        if defect != Some("missing_birth_date") {
            line = line.put(certification::BIRTH_DATE, &birth);
        }
        line = line
            .put(certification::SEX, person.sex)
            .put(certification::APPLIED_ON, era::format_ymd(cert.applied))
            .put(certification::APPLICATION_KIND, cert.kind)
            .put(certification::FIRST_JUDGEMENT, level_code(cert.first))
            .put(certification::SECOND_JUDGEMENT, level_code(cert.second))
            .put(certification::CERTIFIED_ON, era::format_ymd(cert.decided));
        if cert.second.is_some() {
            line = line
                .put(certification::VALID_FROM, era::format_ymd(cert.valid_from))
                .put(certification::VALID_TO, era::format_ymd(cert.valid_to));
        }
        let line = line
            .put(certification::ADL_GRADE, cert.adl_grade)
            .put(certification::DEMENTIA_GRADE, cert.dementia_grade)
            .put(certification::CARE_MINUTES, cert.minutes);
        if defect == Some("wrong_field_count") {
            line.end_short()
        } else {
            line.end()
        }

        let t = &mut *sink.truth;
        t.records.push(("kaigo", rel.clone(), n, "certification", person.index));
        if let Some(kind) = defect {
            t.defects.push(("kaigo", rel, n, kind));
        }
        t.identifier(person.index, "kaigo", "name", &name.name);
        t.identifier(person.index, "kaigo", "kana_name", &name.kana);
        t.identifier(person.index, "kaigo", "birth_date", &birth);
        t.identifier(person.index, "kaigo", "ltc_insured_number", &residence.ltc_number);
    }
}
