//! UKE claim files: one facility, one billing month. The unit is a claim (RE and the
//! records up to the next RE).

use super::{Context, FieldError, Fields, Quarantined, Rejected, lines, split};
use chrono::NaiveDate;
use renkei_formats::era::{self, YearMonth};
use renkei_formats::uke::{self, co, go, ho, ir, iy, ko, re, si, sn, sy};

pub struct Diagnosis {
    pub code: String,
    pub icd10: Option<String>,
    pub start: Option<NaiveDate>,
    pub outcome: String,
    pub main: bool,
}

pub struct Item {
    pub code: String,
    pub quantity: f64,
    pub points: i64,
    pub times: i32,
}

/// The card as written on the claim (HO), raw.
pub struct Card {
    pub insurer: String,
    pub symbol: String,
    pub number: String,
}

pub struct Claim {
    pub file: String,
    pub line: u64,
    pub facility: String,
    pub prefecture: String,
    pub month: YearMonth,
    pub admission: Option<NaiveDate>,
    pub sex: u8,
    pub birth: NaiveDate,
    pub name: String,
    pub kana: String,
    pub karte: String,
    pub card: Option<Card>,
    /// 個人単位被保険者番号 (SN): insurer, symbol, number, branch.
    pub individual: Option<(String, String, String, String)>,
    pub insurer_kind: &'static str,
    pub total_points: i64,
    pub diagnoses: Vec<Diagnosis>,
    pub procedures: Vec<Item>,
    pub drugs: Vec<Item>,
}

/// The kind of insurer from the insurer number's 法別番号 (and 6 digits for 国保).
pub fn insurer_kind(insurer: &str) -> &'static str {
    if insurer.len() == 6 {
        return "kokuho";
    }
    match insurer.get(..2) {
        Some("01") => "kyokai",
        Some("06") => "kumiai",
        Some("31" | "32" | "33" | "34") => "kyosai",
        Some("39") => "koki",
        _ => "other",
    }
}

/// One claim's lines, read; returns the claim or the first field problem.
fn read_claim(
    cx: &Context,
    rel: &str,
    facility: &str,
    prefecture: &str,
    lines: &[(u64, &str)],
) -> Result<Claim, (u64, FieldError)> {
    let (first, re_line) = lines[0];
    let at = |n: u64| move |e: FieldError| (n, e);
    let r = split(&re::LAYOUT, re_line, first).map_err(at(first))?;
    let (y, m) = era::parse_month(r.required(re::SERVICE_MONTH).map_err(at(first))?).map_err(|_| {
        (
            first,
            (
                re::LAYOUT.fields[re::SERVICE_MONTH].name_ja.to_string(),
                "not a valid era month".to_string(),
            ),
        )
    })?;
    let mut claim = Claim {
        file: rel.to_string(),
        line: first,
        facility: facility.to_string(),
        prefecture: prefecture.to_string(),
        month: YearMonth { year: y, month: m },
        admission: r.optional_era_date(re::ADMISSION_DATE).map_err(at(first))?,
        sex: r.sex(re::SEX).map_err(at(first))?,
        birth: r.era_date(re::BIRTH_DATE).map_err(at(first))?,
        name: r.text(re::NAME).to_string(),
        kana: r.text(re::KANA_NAME).to_string(),
        karte: r.text(re::KARTE_NO).to_string(),
        card: None,
        individual: None,
        insurer_kind: "public_only",
        total_points: 0,
        diagnoses: Vec::new(),
        procedures: Vec::new(),
        drugs: Vec::new(),
    };
    let mut ko_points = None;
    for &(n, line) in &lines[1..] {
        let layout = uke::layout_of(line).map_err(|e| (n, ("(record)".to_string(), super::describe(&e))))?;
        let f: Fields = split(layout, line, n).map_err(at(n))?;
        match layout.name {
            "UKE HO" => {
                let insurer = f.required(ho::INSURER_NO).map_err(at(n))?;
                claim.insurer_kind = insurer_kind(insurer);
                claim.total_points = f.int(ho::TOTAL_POINTS).map_err(at(n))?;
                claim.card = Some(Card {
                    insurer: insurer.to_string(),
                    symbol: f.text(ho::CARD_SYMBOL).to_string(),
                    number: f.required(ho::CARD_NUMBER).map_err(at(n))?.to_string(),
                });
            }
            "UKE KO" => ko_points = Some(f.int(ko::TOTAL_POINTS).map_err(at(n))?),
            "UKE SN" => {
                claim.individual = Some((
                    f.required(sn::INSURER_NO).map_err(at(n))?.to_string(),
                    f.text(sn::CARD_SYMBOL).to_string(),
                    f.required(sn::CARD_NUMBER).map_err(at(n))?.to_string(),
                    f.required(sn::BRANCH_NO).map_err(at(n))?.to_string(),
                ))
            }
            "UKE SY" => {
                let code = f
                    .code_in(
                        sy::DISEASE_CODE,
                        |c| c == "0000999" || cx.masters.diseases.contains_key(c),
                        "disease",
                    )
                    .map_err(at(n))?;
                claim.diagnoses.push(Diagnosis {
                    code: code.to_string(),
                    icd10: cx.masters.diseases.get(code).cloned(),
                    start: f.optional_era_date(sy::START_DATE).map_err(at(n))?,
                    outcome: f.text(sy::OUTCOME).to_string(),
                    main: f.text(sy::MAIN) == "01",
                });
            }
            "UKE SI" | "UKE IY" => {
                let is_drug = layout.name == "UKE IY";
                let known = |c: &str| {
                    if is_drug {
                        cx.masters.drugs.contains(c)
                    } else {
                        cx.masters.procedures.contains(c)
                    }
                };
                let item = Item {
                    code: f
                        .code_in(si::PROCEDURE_CODE, known, if is_drug { "drug" } else { "procedure" })
                        .map_err(at(n))?
                        .to_string(),
                    quantity: if is_drug {
                        f.number(iy::AMOUNT).map_err(at(n))?
                    } else {
                        0.0
                    },
                    points: f.int(si::POINTS).map_err(at(n))?,
                    times: f.int(si::TIMES).map_err(at(n))? as i32,
                };
                if is_drug {
                    claim.drugs.push(item)
                } else {
                    claim.procedures.push(item)
                }
            }
            "UKE CO" => {
                let _ = f.text(co::TEXT);
            }
            _ => return Err((n, ("(record)".into(), format!("{} record inside a claim", layout.name)))),
        }
    }
    if claim.card.is_none() {
        claim.total_points = ko_points.ok_or((
            first,
            ("(claim)".to_string(), "claim has neither HO nor KO record".to_string()),
        ))?;
    }
    Ok(claim)
}

/// Reads one decoded UKE file. Claims go to `emit`, bad claims to `quarantine`; the file
/// is rejected whole when its header or trailer is wrong.
pub fn read_file(
    cx: &Context,
    rel: &str,
    text: &str,
    emit: &mut dyn FnMut(Claim),
    quarantine: &mut dyn FnMut(Quarantined),
) -> Result<u64, Rejected> {
    let reject = |reason: String| Rejected {
        file: rel.to_string(),
        reason,
    };
    let all: Vec<(u64, &str)> = lines(text).collect();
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return Err(reject("no records".into()));
    };
    let header = ir::LAYOUT
        .split(first.1)
        .map_err(|e| reject(format!("line 1 is not a valid IR header: {}", super::describe(&e))))?;
    let trailer = go::LAYOUT
        .split(last.1)
        .map_err(|_| reject("truncated file: the last record is not a GO trailer".into()))?;
    let facility = format!("{}1{}", header.get(ir::PREFECTURE), header.get(ir::FACILITY_CODE));
    let prefecture = header.get(ir::PREFECTURE).to_string();
    let body = &all[1..all.len() - 1];
    let starts: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, (_, l))| l.starts_with("RE,"))
        .map(|(i, _)| i)
        .collect();
    if body.first().is_some_and(|(_, l)| !l.starts_with("RE,")) {
        return Err(reject("records before the first RE".into()));
    }
    let claimed: u64 = trailer
        .get(go::TOTAL_CLAIMS)
        .parse()
        .map_err(|_| reject("GO 総件数 is not a number".into()))?;
    if claimed != starts.len() as u64 {
        return Err(reject(format!(
            "GO trailer counts {claimed} claims but the file holds {}",
            starts.len()
        )));
    }
    let mut read = 0;
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(body.len());
        read += 1;
        match read_claim(cx, rel, &facility, &prefecture, &body[s..end]) {
            Ok(claim) => emit(claim),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::masters::Masters;

    /// Found by fuzzing (fuzz target `uke`): a first line of IR's ten fields whose record type
    /// was not `IR` was rejected with its record type field quoted.
    #[test]
    fn a_bad_header_is_rejected_without_quoting_it() {
        let text = "ARIRXYZ,2,01,1,0100016,,北海道中央市中央病院,50511,00,01-8753-1064\r\nGO,0,0,99\r\n";
        let masters = Masters::default();
        let cx = Context { masters: &masters };
        let rejected = read_file(&cx, "ndb/202311/0110100016_1.UKE", text, &mut |_| {}, &mut |_| {})
            .expect_err("the header is not IR");
        assert_eq!(
            rejected.reason,
            "line 1 is not a valid IR header: UKE IR: wrong record type"
        );
    }
}
