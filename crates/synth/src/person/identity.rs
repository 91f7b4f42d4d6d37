//! The identifiers a person is given, and the events that change them: job changes,
//! turning 75, marriage and moves.

use super::life::Simulation;
use super::record::{Coverage, NamePeriod, Payer, Residence};
use crate::geography::{InsurerKind, PrefectureWorld};
use crate::names::FAMILY_NAMES;
use crate::rng::Stream;
use chrono::Duration;
use renkei_formats::era::YearMonth;

/// Draws a fresh, canonical insured card (記号, 番号) for an insurer kind.
pub(super) fn new_card(rng: &mut Stream, kind: InsurerKind) -> (String, String) {
    match kind {
        InsurerKind::Kokuho | InsurerKind::Koki => (String::new(), format!("{}", 10_000_000 + rng.below(89_999_999))),
        InsurerKind::Kyokai => (
            format!("{}", 1_000_000 + rng.below(8_999_999)),
            format!("{}", 1 + rng.below(9_999)),
        ),
        InsurerKind::Kumiai | InsurerKind::Kyosai => (
            format!("{}", 100 + rng.below(899)),
            format!("{}", 1 + rng.below(99_999)),
        ),
    }
}

pub(super) fn draw_insurer(
    rng: &mut Stream,
    world: &PrefectureWorld,
    age: u32,
    municipality: usize,
) -> (InsurerKind, String) {
    if age >= 75 {
        return (InsurerKind::Koki, world.koki.clone());
    }
    let weights: [f64; 4] = if age >= 60 {
        [0.62, 0.2, 0.12, 0.06]
    } else {
        [0.22, 0.4, 0.29, 0.09]
    };
    match rng.weighted(&weights) {
        0 => (InsurerKind::Kokuho, world.kokuho_insurer(municipality)),
        1 => (InsurerKind::Kyokai, world.kyokai.clone()),
        2 => (InsurerKind::Kumiai, rng.pick(&world.kumiai).clone()),
        _ => (InsurerKind::Kyosai, rng.pick(&world.kyosai).clone()),
    }
}

pub(super) fn coverage(
    rng: &mut Stream,
    from: YearMonth,
    kind: InsurerKind,
    number: String,
    dependent: bool,
) -> Coverage {
    let (symbol, card) = new_card(rng, kind);
    let branch = if dependent {
        format!("{:02}", 1 + rng.below(3))
    } else {
        "00".to_string()
    };
    Coverage {
        from,
        payer: Payer::Insurer { kind, number },
        symbol,
        number: card,
        branch,
        dependent,
    }
}

pub(super) fn ltc_number(rng: &mut Stream) -> String {
    format!("{:010}", 1_000_000 + rng.below(8_999_999_999))
}

pub(super) fn postcode(rng: &mut Stream, world: &PrefectureWorld, municipality: usize) -> String {
    format!(
        "{}{:02}",
        world.municipalities[municipality].postcode_prefix,
        rng.below(100)
    )
}

pub(super) fn pick_municipality(rng: &mut Stream, world: &PrefectureWorld) -> usize {
    let weights: Vec<f64> = world.municipalities.iter().map(|m| m.weight).collect();
    rng.weighted(&weights)
}

/// Draws a family name and the form of it in the person's own registry (戸籍).
pub(super) fn family_name(rng: &mut Stream) -> (usize, usize) {
    // Common names are commoner: weight family names by 1/(rank+8).
    let weights: Vec<f64> = (0..FAMILY_NAMES.len()).map(|i| 1.0 / (i as f64 + 8.0)).collect();
    let family = rng.weighted(&weights);
    let variants = FAMILY_NAMES[family].kanji_variants.len();
    let registered_form = if variants > 0 && rng.chance(0.3) {
        1 + rng.below(variants as u64) as usize
    } else {
        0
    };
    (family, registered_form)
}

/// A number body followed by its modulus-10 check digit (公費 payer and recipient numbers).
pub(super) fn with_check(body: String) -> String {
    renkei_formats::check_digit::with_modulus10_w21(&body)
}

impl Simulation<'_> {
    /// Insurer changes, marriages and moves take effect on the first day of `month`.
    pub(super) fn identity_events(&mut self, month: YearMonth) {
        let day = month.first_day();
        let age = self.age_at(day);
        let churn = &self.cfg.churn;
        let municipality = self.p.residences.last().map_or(0, |r| r.municipality);
        let on_welfare = matches!(self.current_coverage().payer, Payer::Welfare);

        // Turning 75: everyone not on welfare moves to 後期高齢者医療.
        let was_75 = self.age_at(month.plus(-1).first_day()) >= 75;
        if age >= 75 && !was_75 && !on_welfare {
            let cov = coverage(&mut self.rng, month, InsurerKind::Koki, self.world.koki.clone(), false);
            self.p.coverage.push(cov);
        } else if (20..65).contains(&age) && !on_welfare && self.rng.chance(churn.insurer_change_per_year / 12.0) {
            let (kind, number) = draw_insurer(&mut self.rng, self.world, age, municipality);
            let cov = coverage(&mut self.rng, month, kind, number, false);
            self.p.coverage.push(cov);
        }

        if self.p.sex == 2
            && (24..=38).contains(&age)
            && self.p.names.len() == 1
            && self.rng.chance(churn.marriage_per_year / 12.0)
        {
            let (family, registered_form) = family_name(&mut self.rng);
            let wedding = day + Duration::days(self.rng.below(28) as i64);
            self.p.names.push(NamePeriod {
                from: wedding,
                family,
                registered_form,
            });
            // Half of brides become dependants on the spouse's employee insurance.
            if !on_welfare && self.rng.chance(0.5) {
                let kind = if self.rng.chance(0.55) {
                    InsurerKind::Kyokai
                } else {
                    InsurerKind::Kumiai
                };
                let number = if kind == InsurerKind::Kyokai {
                    self.world.kyokai.clone()
                } else {
                    self.rng.pick(&self.world.kumiai).clone()
                };
                let cov = coverage(&mut self.rng, month.next(), kind, number, true);
                self.p.coverage.push(cov);
            }
        }

        if self.rng.chance(churn.move_per_year / 12.0) && self.world.municipalities.len() > 1 {
            let to = pick_municipality(&mut self.rng, self.world);
            if to != municipality {
                let residence = Residence {
                    from: month,
                    municipality: to,
                    ltc_number: ltc_number(&mut self.rng),
                    postcode: postcode(&mut self.rng, self.world, to),
                };
                self.p.residences.push(residence);
                if let Payer::Insurer {
                    kind: InsurerKind::Kokuho,
                    ..
                } = self.current_coverage().payer
                {
                    let cov = coverage(
                        &mut self.rng,
                        month,
                        InsurerKind::Kokuho,
                        self.world.kokuho_insurer(to),
                        false,
                    );
                    self.p.coverage.push(cov);
                }
            }
        }
    }
}
