//! What a hospital stay bills, day by day. The UKE inpatient claims and the DPC EF files
//! are both derived from this one list, so a stay's points agree across the databases.

use crate::catalog::{self, ADMISSIONS};
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
    let cause = &ADMISSIONS[stay.cause];
    let days = (stay.discharged - stay.admitted).num_days() + 1;
    let mut out = Vec::new();
    for n in 0..days {
        let date = stay.admitted + Duration::days(n);
        let room = match (dpc, n) {
            (true, 0..7) => "dpc_period_1",
            (true, 7..14) => "dpc_period_2",
            (true, _) => "dpc_period_3",
            (false, 0..14) => "acute_ward",
            (false, _) => "recovery_ward",
        };
        out.push(one(ItemCode::Procedure(catalog::procedure(room)), date));
        if n % 7 == 0 {
            out.push(one(ItemCode::Procedure(catalog::procedure("blood_count")), date));
            out.push(one(ItemCode::Procedure(catalog::procedure("biochemistry")), date));
        }
        if n == 0 && stay.emergency {
            out.push(one(ItemCode::Procedure(catalog::procedure("ct")), date));
        }
        if n == 0 && cause.key == "stroke" {
            out.push(one(ItemCode::Procedure(catalog::procedure("mri")), date));
        }
        if let Some(s) = stay.surgery
            && n == 1.min(days - 1)
        {
            out.push(one(ItemCode::Procedure(catalog::procedure(s)), date));
        }
        if let Some(i) = stay.injection
            && n < 7
        {
            out.push(one(ItemCode::Drug(catalog::drug(i)), date));
        }
        if let Some(d) = stay.costly_drug
            && n == 2.min(days - 1)
        {
            out.push(one(ItemCode::Drug(catalog::drug(d)), date));
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
