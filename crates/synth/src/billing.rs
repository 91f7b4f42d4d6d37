//! What a hospital stay bills, day by day. The UKE inpatient claims and the DPC EF files
//! are both derived from this one list, so a stay's points agree across the databases.

use crate::catalog::{self, Cause, ProcedureId};
use crate::geography::{FacilityKind, PrefectureWorld};
use crate::person::{Item, ItemCode, Stay};
use chrono::{Datelike, Duration, NaiveDate};
use renkei_formats::era::YearMonth;

pub struct DayItem {
    pub date: NaiveDate,
    pub item: Item,
}

fn one(key_or_drug: ItemCode, date: NaiveDate) -> DayItem {
    let (amount, points) = match key_or_drug {
        ItemCode::Procedure(p) => (0.0, p.points),
        ItemCode::Drug(d) => (d.daily_amount, catalog::drug_points(d.price_yen, d.daily_amount)),
    };
    DayItem {
        date,
        item: Item {
            code: key_or_drug,
            amount,
            points,
            times: 1,
            days: vec![(date.day(), 1)],
        },
    }
}

/// Every item billed for `stay`, in day order (admission and discharge days included).
pub fn stay_items(stay: &Stay, world: &PrefectureWorld) -> Vec<DayItem> {
    let dpc = world.facilities[stay.facility].kind == FacilityKind::DpcHospital;
    let days = (stay.discharged - stay.admitted).num_days() + 1;
    let mut out = Vec::new();
    for n in 0..days {
        let date = stay.admitted + Duration::days(n);
        let room = match (dpc, n) {
            (true, 0..7) => ProcedureId::DpcPeriod1,
            (true, 7..14) => ProcedureId::DpcPeriod2,
            (true, _) => ProcedureId::DpcPeriod3,
            (false, 0..14) => ProcedureId::AcuteWard,
            (false, _) => ProcedureId::RecoveryWard,
        };
        out.push(one(ItemCode::Procedure(room.row()), date));
        if n % 7 == 0 {
            out.push(one(ItemCode::Procedure(ProcedureId::BloodCount.row()), date));
            out.push(one(ItemCode::Procedure(ProcedureId::Biochemistry.row()), date));
        }
        if n == 0 && stay.emergency {
            out.push(one(ItemCode::Procedure(ProcedureId::Ct.row()), date));
        }
        if n == 0 && stay.cause == Cause::Stroke {
            out.push(one(ItemCode::Procedure(ProcedureId::Mri.row()), date));
        }
        if let Some(s) = stay.surgery
            && n == 1.min(days - 1)
        {
            out.push(one(ItemCode::Procedure(s.row()), date));
        }
        if let Some(i) = stay.injection
            && n < 7
        {
            out.push(one(ItemCode::Drug(i.row()), date));
        }
        if let Some(d) = stay.costly_drug
            && n == 2.min(days - 1)
        {
            out.push(one(ItemCode::Drug(d.row()), date));
        }
    }
    out
}

/// The items of `month`, one per code, with times and days added up, in first-seen order.
pub fn month_items(items: &[DayItem], month: YearMonth) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    for d in items.iter().filter(|d| YearMonth::of(d.date) == month) {
        let code = match d.item.code {
            ItemCode::Procedure(p) => p.code,
            ItemCode::Drug(x) => x.code,
        };
        let same = |i: &Item| match i.code {
            ItemCode::Procedure(p) => p.code == code,
            ItemCode::Drug(x) => x.code == code,
        };
        if let Some(existing) = out.iter_mut().find(|i| same(i)) {
            existing.times += 1;
            existing.days.push((d.date.day(), 1));
        } else {
            out.push(d.item.clone());
        }
    }
    out
}
