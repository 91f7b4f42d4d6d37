//! The age groups and sex weights in which every profile of the catalogue is written.

/// Upper bounds (exclusive) of the age groups used by every age profile below:
/// 0–14, 15–39, 40–49, 50–59, 60–69, 70–74, 75–79, 80–84, 85+.
pub const AGE_GROUP_UPPER: [u32; 8] = [15, 40, 50, 60, 70, 75, 80, 85];

pub fn age_group(age: u32) -> usize {
    AGE_GROUP_UPPER
        .iter()
        .position(|u| age < *u)
        .unwrap_or(AGE_GROUP_UPPER.len())
}

/// How much likelier `sex` is than the average person, for a condition with
/// `female_ratio` (100 or more: women only; 0: men only).
pub fn sex_factor(sex: u8, female_ratio: f64) -> f64 {
    if female_ratio >= 100.0 {
        return if sex == 2 { 2.0 } else { 0.0 };
    }
    if female_ratio == 0.0 {
        return if sex == 1 { 2.0 } else { 0.0 };
    }
    if sex == 2 {
        2.0 * female_ratio / (1.0 + female_ratio)
    } else {
        2.0 / (1.0 + female_ratio)
    }
}
