//! NDB claim files in the UKE layout.

use super::Sink;
use super::identity::{karte_number, written_card, written_name};
use crate::billing::{month_items, stay_items};
use crate::catalog::{CHRONIC, diagnoses, dx};
use crate::files::OutFile;
use crate::geography::{Facility, InsurerKind};
use crate::person::{Coverage, Diagnosis, Item, ItemCode, Payer, Person, Stay, age_on};
use crate::rng::mix;
use renkei_formats::era::{self, YearMonth};
use renkei_formats::uke::{co, go, ho, ir, iy, ko, re, si, sn, sy};

/// Disease code that the master does not contain, written by the `unknown_code` defect.
pub const UNKNOWN_DISEASE_CODE: &str = "8799999";

/// Salt of the hash that decides the `missing_patient_number` defect ("karte_mi").
const KARTE_MISSING: u64 = 0x6b61_7274_655f_6d69;

/// One claim as it will be written.
struct Claim<'a> {
    month: YearMonth,
    facility: usize,
    stay: Option<&'a Stay>,
    diagnoses: Vec<Diagnosis>,
    items: Vec<Item>,
    days: u32,
    public_payer: Option<(String, String)>,
    dialysis: bool,
}

pub fn coverage_at(person: &Person, month: YearMonth) -> &Coverage {
    person
        .coverage
        .iter()
        .rev()
        .find(|c| c.from <= month)
        .unwrap_or(&person.coverage[0])
}

/// A stable number for a facility's (or provider's) system, from its code.
pub fn system_id(code: &str) -> u64 {
    code.bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// レセプト種別 (4 digits), see `docs/formats.md`.
fn receipt_kind(cov: &Coverage, public: bool, inpatient: bool, age: u32) -> String {
    let stay = |i: u8, o: u8| if inpatient { i } else { o };
    match &cov.payer {
        Payer::Welfare => format!("121{}", stay(1, 2)),
        Payer::Insurer { kind, .. } => {
            let insurance = if *kind == InsurerKind::Koki { 3 } else { 1 };
            let class = if *kind == InsurerKind::Koki || (70..75).contains(&age) {
                stay(7, 8)
            } else if age < 6 {
                stay(3, 4)
            } else if cov.dependent {
                stay(5, 6)
            } else {
                stay(1, 2)
            };
            format!("1{insurance}{}{class}", 1 + u8::from(public))
        }
    }
}

fn header(f: &Facility, payer: u8, pref: u32, billing: YearMonth) -> impl FnOnce(&mut OutFile) + '_ {
    move |out: &mut OutFile| {
        let (_, buf) = out.next_line();
        ir::LAYOUT
            .line(buf)
            .put(ir::PAYER, payer)
            .put(ir::PREFECTURE, format!("{pref:02}"))
            .put(ir::SCORE_TABLE, 1)
            .put(ir::FACILITY_CODE, &f.code7)
            .put(ir::FACILITY_NAME, &f.name)
            .put(ir::BILLING_MONTH, billing.era())
            .put(ir::MULTI_VOLUME, "00")
            .put(ir::PHONE, &f.phone)
            .end();
    }
}

/// The GO trailer of a claim file; `wrong` adds one to the claim count on purpose.
pub fn trailer(out: &mut OutFile, wrong: bool) {
    let (claims, points) = (out.claims + u64::from(wrong), out.points);
    let (_, buf) = out.next_line();
    go::LAYOUT
        .line(buf)
        .put(go::TOTAL_CLAIMS, claims)
        .put(go::TOTAL_POINTS, points)
        .put(go::MULTI_VOLUME, "99")
        .end();
}

fn amount(a: f64) -> String {
    let s = format!("{a:.5}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn write_item(buf: &mut String, item: &Item, burden: u8, short: bool) {
    let (layout, code_field, days_from) = match item.code {
        ItemCode::Procedure(_) => (&si::LAYOUT, si::PROCEDURE_CODE, si::DAY_1),
        ItemCode::Drug(_) => (&iy::LAYOUT, iy::DRUG_CODE, iy::DAY_1),
    };
    let code = match item.code {
        ItemCode::Procedure(p) => p.code,
        ItemCode::Drug(d) => d.code,
    };
    let mut line = layout
        .line(buf)
        .put(si::CARE_CLASS, item.care_class())
        .put(si::BURDEN_CLASS, burden)
        .put(code_field, code);
    if matches!(item.code, ItemCode::Drug(_)) {
        line = line.put(iy::AMOUNT, amount(item.amount));
    }
    line = line.put(si::POINTS, item.points).put(si::TIMES, item.times);
    let mut per_day = [0u32; 31];
    for (d, n) in &item.days {
        per_day[*d as usize - 1] += n;
    }
    for (i, n) in per_day.iter().enumerate().filter(|(_, n)| **n > 0) {
        line = line.put(days_from + i, n);
    }
    if short { line.end_short() } else { line.end() }
}

fn write_claim(sink: &mut Sink, person: &Person, claim: Claim) {
    let cfg = sink.cfg;
    let world = sink.world;
    let f = &world.facilities[claim.facility];
    let cov = coverage_at(person, claim.month);
    let payer = match &cov.payer {
        Payer::Welfare => 1,
        Payer::Insurer { kind, .. } => kind.payer(),
    };
    let billing = claim.month.next();
    let rel = format!("ndb/{}/{}_{}.UKE", billing.compact(), f.code10, payer);
    let system = system_id(&f.code10);
    let first_day = claim.month.first_day();
    let name = written_name(cfg, person, system, first_day);
    let (symbol, number) = written_card(cfg, cov, system);
    let karte = karte_number(cfg, person, system);
    let birth = era::format_date(person.birth);
    let age = age_on(person.birth, first_day);
    let welfare = matches!(cov.payer, Payer::Welfare);
    let public = match (&claim.public_payer, &person.welfare_recipient) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(r)) if welfare => Some((world.welfare_payer.clone(), r.clone())),
        _ => None,
    };
    let total: u64 = claim.items.iter().map(Item::total_points).sum();
    let branch_missing = (mix(
        cfg.seed,
        person.index,
        (claim.month.year as u64) << 8 | u64::from(claim.month.month),
    ) % 10_000) as f64
        / 10_000.0
        < cfg.churn.branch_missing;
    let defect = sink.defect(&[
        "missing_birth_date",
        "impossible_date",
        "unknown_code",
        "wrong_field_count",
    ]);
    // A claim without its カルテ番号 is a defect of its own, independent of the above and
    // drawn from a hash rather than the defect stream, so that every other defect stays
    // where it was. The claim reads well: only its linkage is at stake.
    let draw = mix(
        cfg.seed ^ KARTE_MISSING,
        person.index,
        system.rotate_left(24) ^ ((claim.month.year as u64) << 8 | u64::from(claim.month.month)),
    );
    let karte_missing = cfg.defect_rate > 0.0 && ((draw >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < cfg.defect_rate;
    let karte = if karte_missing { String::new() } else { karte };

    let out = sink.files.file(&rel, header(f, payer, world.code, billing));
    out.claims += 1;
    out.points += total;
    let receipt_no = out.claims;
    let (re_line, buf) = out.next_line();
    let birth_written = match defect {
        Some("missing_birth_date") => String::new(),
        Some("impossible_date") => format!("{}32", &birth[..5]),
        _ => birth.clone(),
    };
    let mut line = re::LAYOUT
        .line(buf)
        .put(re::RECEIPT_NO, receipt_no)
        .put(
            re::RECEIPT_KIND,
            receipt_kind(cov, public.is_some() && !welfare, claim.stay.is_some(), age),
        )
        .put(re::SERVICE_MONTH, claim.month.era())
        .put(re::NAME, &name.name)
        .put(re::SEX, person.sex)
        .put(re::BIRTH_DATE, &birth_written);
    if let Some(stay) = claim.stay {
        line = line.put(re::ADMISSION_DATE, era::format_date(stay.admitted));
    }
    if claim.dialysis {
        line = line.put(re::SPECIAL_NOTES, "02");
    }
    if claim.stay.is_some() {
        line = line.put(re::BEDS, f.beds);
    }
    line.put(re::KARTE_NO, &karte).put(re::KANA_NAME, &name.kana).end();
    let mut defect_line = matches!(defect, Some("missing_birth_date" | "impossible_date")).then_some(re_line);

    let meals = claim.stay.map_or(0, |_| claim.days * 3);
    if let Payer::Insurer { number: insurer, .. } = &cov.payer {
        let (_, buf) = out.next_line();
        let mut line = ho::LAYOUT
            .line(buf)
            .put(ho::INSURER_NO, insurer)
            .put(ho::CARD_SYMBOL, &symbol)
            .put(ho::CARD_NUMBER, &number)
            .put(ho::DAYS, claim.days)
            .put(ho::TOTAL_POINTS, total);
        if meals > 0 {
            line = line.put(ho::MEAL_TIMES, meals).put(ho::MEAL_AMOUNT, meals * 460);
        }
        line.end();
    }
    if let Some((payer_no, recipient)) = &public {
        let (_, buf) = out.next_line();
        ko::LAYOUT
            .line(buf)
            .put(ko::PAYER_NO, payer_no)
            .put(ko::RECIPIENT_NO, recipient)
            .put(ko::DAYS, claim.days)
            .put(ko::TOTAL_POINTS, total)
            .end();
    }
    if let Payer::Insurer { number: insurer, .. } = &cov.payer
        && !branch_missing
    {
        let (_, buf) = out.next_line();
        sn::LAYOUT
            .line(buf)
            .put(sn::PAYER_KIND, 1)
            .put(sn::CONFIRMATION, "01")
            .put(sn::INSURER_NO, insurer)
            .put(sn::CARD_SYMBOL, &cov.symbol)
            .put(sn::CARD_NUMBER, &cov.number)
            .put(sn::BRANCH_NO, &cov.branch)
            .end();
    }
    for (i, d) in claim.diagnoses.iter().enumerate() {
        let (n, buf) = out.next_line();
        let code = if i == 0 && defect == Some("unknown_code") {
            defect_line = Some(n);
            UNKNOWN_DISEASE_CODE
        } else {
            diagnoses()[d.dx].code.as_str()
        };
        let outcome = match claim.stay {
            Some(s) if d.main && s.died && YearMonth::of(s.discharged) == claim.month => 3,
            Some(s) if d.main && YearMonth::of(s.discharged) == claim.month => 2,
            _ => 1,
        };
        let line = sy::LAYOUT
            .line(buf)
            .put(sy::DISEASE_CODE, code)
            .put(sy::START_DATE, era::format_date(d.start))
            .put(sy::OUTCOME, outcome);
        if d.main {
            line.put(sy::MAIN, "01").end()
        } else {
            line.end()
        }
    }
    let burden = if welfare { 5 } else { 1 };
    for (i, item) in claim.items.iter().enumerate() {
        let (n, buf) = out.next_line();
        let short = i == 0 && defect == Some("wrong_field_count");
        if short {
            defect_line = Some(n);
        }
        write_item(buf, item, burden, short);
    }
    if claim.stay.is_some_and(|s| s.emergency && s.admitted >= first_day) {
        let (_, buf) = out.next_line();
        co::LAYOUT
            .line(buf)
            .put(co::CARE_CLASS, "90")
            .put(co::BURDEN_CLASS, burden)
            .put(co::COMMENT_CODE, "820100001")
            .put(co::TEXT, "救急搬送")
            .end();
    }

    let t = &mut *sink.truth;
    t.records.push(("ndb", rel.clone(), re_line, "claim", person.index));
    if karte_missing {
        t.defects.push(("ndb", rel.clone(), re_line, "missing_patient_number"));
    }
    if let (Some(kind), Some(line)) = (defect, defect_line) {
        t.defects.push(("ndb", rel, line, kind));
    }
    let id = person.index;
    t.identifier(id, "ndb", "name", &name.name);
    t.identifier(id, "ndb", "kana_name", &name.kana);
    t.identifier(id, "ndb", "birth_date", &birth);
    t.identifier(id, "ndb", "karte_number", &karte);
    if let Payer::Insurer { number: insurer, .. } = &cov.payer {
        t.identifier(id, "ndb", "insurer_number", insurer);
        t.identifier(id, "ndb", "card_symbol", &symbol);
        t.identifier(id, "ndb", "card_number", &number);
        t.identifier(id, "ndb", "card_number", &cov.number);
    }
    if let Some((_, recipient)) = &public {
        t.identifier(id, "ndb", "public_recipient_number", recipient);
    }
}

pub fn write_person(sink: &mut Sink, person: &Person) {
    for c in &person.outpatient {
        let claim = Claim {
            month: c.month,
            facility: c.facility,
            stay: None,
            diagnoses: c.diagnoses.clone(),
            items: c.items.clone(),
            days: c.visit_days.len() as u32,
            public_payer: c.public_payer.clone(),
            dialysis: c.dialysis,
        };
        write_claim(sink, person, claim);
    }
    for stay in &person.stays {
        let items = stay_items(stay, sink.world);
        let mut month = YearMonth::of(stay.admitted);
        let last = YearMonth::of(stay.discharged).min(sink.cfg.to);
        while month <= last {
            let in_month = items
                .iter()
                .filter(|i| YearMonth::of(i.date) == month)
                .map(|i| i.date)
                .collect::<std::collections::BTreeSet<_>>();
            let mut dxs = vec![Diagnosis {
                dx: stay_main_dx(person, stay),
                start: stay.admitted,
                main: true,
            }];
            dxs.extend(stay.comorbidities.iter().map(|d| {
                Diagnosis {
                    dx: *d,
                    start: person
                        .chronic
                        .iter()
                        .find(|(c, _)| c == d)
                        .map_or(stay.admitted, |(_, s)| *s),
                    main: false,
                }
            }));
            let claim = Claim {
                month,
                facility: stay.facility,
                stay: Some(stay),
                diagnoses: dxs,
                items: month_items(&items, month),
                days: in_month.len() as u32,
                public_payer: None,
                dialysis: false,
            };
            write_claim(sink, person, claim);
            month = month.next();
        }
    }
}

/// The main diagnosis of a stay: the cancer's own site for cancer admissions.
pub fn stay_main_dx(person: &Person, stay: &Stay) -> usize {
    if stay.cause.row().icd10.starts_with('C') {
        let site = person
            .chronic
            .iter()
            .map(|(d, _)| *d)
            .find(|d| CHRONIC.get(*d).is_some_and(|c| c.icd10.starts_with('C')));
        if let Some(d) = site {
            return d;
        }
    }
    dx::admission(stay.cause)
}
