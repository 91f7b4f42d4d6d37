//! The public code masters (UTF-8 CSV with a header), as the ministry and 支払基金
//! publish them for real codes: ingest reads these to map codes to ICD-10, prefectures
//! and secondary medical areas.

use crate::catalog::{DRUGS, LTC_SERVICES, PROCEDURES, diagnoses};
use crate::error::{Result, io};
use crate::geography::{FacilityKind, PrefectureWorld};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn write(dir: &Path, name: &str, text: String) -> Result<()> {
    let path = dir.join(name);
    fs::write(&path, text).map_err(io(&path))
}

pub fn write_masters(out: &Path, worlds: &[PrefectureWorld]) -> Result<()> {
    let dir = out.join("masters");
    fs::create_dir_all(&dir).map_err(io(&dir))?;

    let mut facilities = String::from("facility_code,dpc_facility_code,name,prefecture,area_code,kind,beds\n");
    let mut municipalities = String::from("municipality_code,name,prefecture,area_code,postcode_prefix\n");
    let mut areas = String::from("area_code,name,prefecture\n");
    let mut providers = String::from("provider_number,name,prefecture,service_kind\n");
    let mut insurers = String::from("insurer_number,kind,prefecture\n");
    for w in worlds {
        for a in &w.areas {
            let _ = writeln!(areas, "{},{},{:02}", a.code, a.name, w.code);
        }
        for (i, m) in w.municipalities.iter().enumerate() {
            let _ = writeln!(
                municipalities,
                "{},{},{:02},{},{}",
                m.code, m.name, w.code, w.areas[m.area].code, m.postcode_prefix
            );
            let _ = writeln!(insurers, "{},国保,{:02}", w.kokuho_insurer(i), w.code);
        }
        for f in &w.facilities {
            let kind = match f.kind {
                FacilityKind::Clinic => "clinic",
                FacilityKind::Hospital => "hospital",
                FacilityKind::DpcHospital => "dpc_hospital",
            };
            let dpc = if f.kind == FacilityKind::DpcHospital {
                f.dpc_code.as_str()
            } else {
                ""
            };
            let _ = writeln!(
                facilities,
                "{},{dpc},{},{:02},{},{kind},{}",
                f.code10, f.name, w.code, w.areas[f.area].code, f.beds
            );
        }
        for p in &w.providers {
            let _ = writeln!(
                providers,
                "{},{},{:02},{}",
                p.number, p.name, w.code, LTC_SERVICES[p.service].kind
            );
        }
        let _ = writeln!(insurers, "{},協会けんぽ,{:02}", w.kyokai, w.code);
        for k in &w.kumiai {
            let _ = writeln!(insurers, "{k},健保組合,{:02}", w.code);
        }
        for k in &w.kyosai {
            let _ = writeln!(insurers, "{k},共済,{:02}", w.code);
        }
        let _ = writeln!(insurers, "{},後期高齢者医療,{:02}", w.koki, w.code);
    }
    write(&dir, "facilities.csv", facilities)?;
    write(&dir, "municipalities.csv", municipalities)?;
    write(&dir, "areas.csv", areas)?;
    write(&dir, "ltc_providers.csv", providers)?;
    write(&dir, "insurers.csv", insurers)?;

    let mut dx = String::from("disease_code,name,icd10\n");
    for d in diagnoses() {
        let _ = writeln!(dx, "{},{},{}", d.code, d.name_ja, d.icd10);
    }
    write(&dir, "diseases.csv", dx)?;
    let mut procedures = String::from("procedure_code,name,points,care_class\n");
    for p in PROCEDURES {
        let _ = writeln!(procedures, "{},{},{},{}", p.code, p.name_ja, p.points, p.care_class);
    }
    write(&dir, "procedures.csv", procedures)?;
    let mut drugs = String::from("drug_code,name,price_yen,care_class\n");
    for d in DRUGS {
        let _ = writeln!(drugs, "{},{},{},{}", d.code, d.name_ja, d.price_yen, d.care_class);
    }
    write(&dir, "drugs.csv", drugs)?;
    let mut services = String::from("service_kind,service_item,name,units_by_level\n");
    for s in LTC_SERVICES {
        let units: Vec<String> = s.units.iter().map(u32::to_string).collect();
        let _ = writeln!(services, "{},{},{},{}", s.kind, s.item, s.name_ja, units.join("/"));
    }
    write(&dir, "ltc_services.csv", services)
}
