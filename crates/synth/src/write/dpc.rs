//! DPC 様式1 and EF files for stays at DPC hospitals.

use super::Sink;
use super::identity::karte_number;
use super::uke::{coverage_at, stay_main_dx, system_id};
use crate::billing::stay_items;
use crate::catalog::{Cause, diagnoses};
use crate::geography::FacilityKind;
use crate::person::{ItemCode, Payer, Person, Stay};
use renkei_formats::dpc::{ef, form1};
use renkei_formats::era::{self, YearMonth};

/// Receipt code absent from every master, written by the `unknown_code` defect.
pub const UNKNOWN_RECEIPT_CODE: &str = "199999999";

pub fn write_person(sink: &mut Sink, person: &Person) {
    for stay in person
        .stays
        .iter()
        .filter(|s| sink.world.facilities[s.facility].kind == FacilityKind::DpcHospital)
    {
        write_ef(sink, person, stay);
        if YearMonth::of(stay.discharged) <= sink.cfg.to {
            write_form1(sink, person, stay);
        }
    }
}

fn write_ef(sink: &mut Sink, person: &Person, stay: &Stay) {
    let (cfg, world) = (sink.cfg, sink.world);
    let f = &world.facilities[stay.facility];
    let data_id = karte_number(cfg, person, system_id(&f.code10));
    let insurer = match &coverage_at(person, YearMonth::of(stay.admitted)).payer {
        Payer::Insurer { number, .. } => number.clone(),
        Payer::Welfare => String::new(),
    };
    let admitted = era::format_ymd(stay.admitted);
    let department = if stay.cause == Cause::HipFracture { "130" } else { "010" };
    let mut previous_date = None;
    let mut order = 0;
    let mut spoilt = false;
    for day in stay_items(stay, world) {
        let month = YearMonth::of(day.date);
        if month > cfg.to {
            break;
        }
        let defect = if spoilt { None } else { sink.defect(&["unknown_code"]) };
        spoilt |= defect.is_some();
        let rel = format!("dpc/{}/EF_{}.txt", f.dpc_code, month.compact());
        let discharge = if YearMonth::of(stay.discharged) > month {
            "00000000".to_string()
        } else {
            era::format_ymd(stay.discharged)
        };
        order = if previous_date == Some(day.date) { order + 1 } else { 1 };
        previous_date = Some(day.date);
        let (code, name) = match day.item.code {
            ItemCode::Procedure(p) => (p.code, p.name_ja),
            ItemCode::Drug(d) => (d.code, d.name_ja),
        };
        let code = if defect.is_some() { UNKNOWN_RECEIPT_CODE } else { code };
        let quantity = if day.item.amount > 0.0 {
            format!("{}", day.item.amount)
        } else {
            "1".to_string()
        };
        let out = sink.files.file(&rel, |_| {});
        let (n, buf) = out.next_line();
        ef::LAYOUT
            .line(buf)
            .put(ef::FACILITY_CODE, &f.dpc_code)
            .put(ef::DATA_ID, &data_id)
            .put(ef::DISCHARGE_DATE, discharge)
            .put(ef::ADMISSION_DATE, &admitted)
            .put(ef::DATA_CATEGORY, day.item.care_class())
            .put(ef::ORDER_NO, order)
            .put(ef::DETAIL_NO, 0)
            .put(ef::RECEIPT_CODE, code)
            .put(ef::ITEM_NAME, name)
            .put(ef::QUANTITY, quantity)
            .put(ef::ITEM_POINTS, day.item.points)
            .put(ef::YEN_POINT_CLASS, 1)
            .put(ef::ACTUAL_POINTS, day.item.points)
            .put(ef::ACT_CLASS, "000000000000")
            .put(ef::ACT_POINTS, day.item.points)
            .put(ef::ACT_DRUG_FEE, 0)
            .put(ef::ACT_MATERIAL_FEE, 0)
            .put(ef::ACT_YEN_POINT_CLASS, 1)
            .put(ef::ACT_TIMES, 1)
            .put(ef::INSURER_NO, &insurer)
            .put(ef::SERVICE_DATE, era::format_ymd(day.date))
            .put(ef::DEPARTMENT, department)
            .put(ef::WARD_CLASS, 0)
            .put(ef::IN_OUT, 1)
            .put(ef::FACILITY_TYPE, 1)
            .end();
        if let Some(kind) = defect {
            sink.truth.defects.push(("dpc", rel, n, kind));
        }
    }
}

fn write_form1(sink: &mut Sink, person: &Person, stay: &Stay) {
    let (cfg, world) = (sink.cfg, sink.world);
    let f = &world.facilities[stay.facility];
    let data_id = karte_number(cfg, person, system_id(&f.code10));
    let rel = format!(
        "dpc/{}/FF1_{}.txt",
        f.dpc_code,
        YearMonth::of(stay.discharged).compact()
    );
    let residence = person
        .residences
        .iter()
        .rev()
        .find(|r| r.from <= YearMonth::of(stay.admitted))
        .unwrap_or(&person.residences[0]);
    let birth = era::format_ymd(person.birth);
    let defect = sink.defect(&["impossible_date"]);
    let birth_written = if defect.is_some() {
        format!("{}0230", &birth[..4])
    } else {
        birth.clone()
    };
    let cause = stay.cause.row();
    let main = &diagnoses()[stay_main_dx(person, stay)];
    let outcome = if stay.died {
        6
    } else if matches!(stay.cause, Cause::Appendicitis | Cause::Cataract | Cause::Caesarean) {
        1
    } else {
        2
    };
    let destination = if stay.died {
        9
    } else if cause.care_trigger > 0.3 {
        4
    } else {
        1
    };
    let adl = |a: &[u8; 10]| a.iter().map(|x| x.to_string()).collect::<String>();

    let mut items: Vec<(&str, Vec<String>)> = vec![
        (
            "A000010",
            vec![birth_written, person.sex.to_string(), residence.postcode.clone()],
        ),
        (
            "A000020",
            vec![
                "1".into(),
                if stay.emergency { "200" } else { "100" }.into(),
                u8::from(stay.emergency).to_string(),
            ],
        ),
        (
            "A000030",
            vec![destination.to_string(), outcome.to_string(), "0".into()],
        ),
        ("A001010", vec![stay.height_cm.to_string(), stay.weight_kg.to_string()]),
        ("A006010", vec![main.icd10.clone(), main.name_ja.clone()]),
        ("A006020", vec![main.icd10.clone(), main.name_ja.clone()]),
        ("A006030", vec![main.icd10.clone(), main.name_ja.clone()]),
    ];
    for d in &stay.comorbidities {
        let c = &diagnoses()[*d];
        items.push(("A006040", vec![c.icd10.clone(), c.name_ja.clone()]));
    }
    if let Some(s) = stay.surgery {
        let date = stay.admitted + chrono::Duration::days(1.min((stay.discharged - stay.admitted).num_days()));
        items.push(("A007010", vec![s.row().code.to_string(), era::format_ymd(date)]));
    }
    items.push(("ADL0010", vec![adl(&stay.adl_admission)]));
    items.push(("ADL0020", vec![adl(&stay.adl_discharge)]));
    if stay.cause == Cause::Stroke {
        items.push(("JCS0010", vec!["10".into()]));
    }

    let out = sink.files.file(&rel, |_| {});
    out.claims += 1;
    let mut first_line = 0;
    let mut previous = "";
    let mut seq = 0;
    for (code, payload) in items {
        seq = if code == previous { seq + 1 } else { 1 };
        previous = code;
        let (n, buf) = out.next_line();
        if first_line == 0 {
            first_line = n;
        }
        let mut line = form1::LAYOUT
            .line(buf)
            .put(form1::FACILITY_CODE, &f.dpc_code)
            .put(form1::DATA_ID, &data_id)
            .put(form1::DISCHARGE_DATE, era::format_ymd(stay.discharged))
            .put(form1::ADMISSION_DATE, era::format_ymd(stay.admitted))
            .put(form1::ADMISSION_SEQ, 1)
            .put(form1::ITEM_CODE, code)
            .put(form1::VERSION, 0)
            .put(form1::SEQ, seq);
        for (i, value) in payload.iter().enumerate() {
            line = line.put(form1::PAYLOAD1 + i, value);
        }
        line.end();
    }
    let t = &mut *sink.truth;
    t.records.push(("dpc", rel.clone(), first_line, "case", person.index));
    if let Some(kind) = defect {
        t.defects.push(("dpc", rel, first_line, kind));
    }
    t.identifier(person.index, "dpc", "data_id", &data_id);
    t.identifier(person.index, "dpc", "birth_date", &birth);
    t.identifier(person.index, "dpc", "postcode", &residence.postcode);
}
