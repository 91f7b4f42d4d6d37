//! Public statistics the population is drawn from (see `data/README.md`), parsed once.

use std::sync::OnceLock;

pub struct Prefecture {
    pub code: u32,
    pub name_ja: &'static str,
    pub population_thousands: f64,
}

/// One 5-year age band (the last is open: 100+).
pub struct AgeBand {
    pub lower: u32,
    pub male_thousands: f64,
    pub female_thousands: f64,
}

pub struct Reference {
    pub prefectures: Vec<Prefecture>,
    pub age_bands: Vec<AgeBand>,
    /// (lower age of band, certified share); the last band is open (90+).
    pub certification: Vec<(u32, f64)>,
    /// Shares of 要支援1, 要支援2, 要介護1…5 among certified persons.
    pub care_levels: [f64; 7],
    /// (ICD-10 range, patients under treatment in thousands) where known.
    patients_thousands: Vec<(&'static str, f64)>,
}

fn rows(csv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').collect())
}

fn number(s: &str) -> f64 {
    s.trim().parse().expect("embedded reference figures are numbers")
}

fn lower_age(band: &str) -> u32 {
    band.trim_end_matches('+')
        .split('-')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("embedded age bands start with a number")
}

pub fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let prefectures = rows(include_str!("../data/prefectures.csv"))
            .map(|r| Prefecture {
                code: r[0].parse().expect("prefecture code"),
                name_ja: r[1],
                population_thousands: number(r[3]),
            })
            .collect();
        let age_bands = rows(include_str!("../data/age_sex_population.csv"))
            .map(|r| AgeBand {
                lower: lower_age(r[0]),
                male_thousands: number(r[1]),
                female_thousands: number(r[2]),
            })
            .collect();
        let certification = rows(include_str!("../data/care_certification.csv"))
            .map(|r| (lower_age(r[0]), number(r[1])))
            .collect();
        let levels: Vec<f64> = rows(include_str!("../data/care_levels.csv"))
            .map(|r| number(r[1]))
            .collect();
        let patients_thousands = rows(include_str!("../data/conditions.csv"))
            .filter(|r| !r[2].trim().is_empty())
            .map(|r| (r[1], number(r[2])))
            .collect();
        Reference {
            prefectures,
            age_bands,
            certification,
            care_levels: levels.try_into().expect("seven care levels"),
            patients_thousands,
        }
    })
}

impl Reference {
    /// Certified share for a person of `age` (0 under 65).
    pub fn certified_share(&self, age: u32) -> f64 {
        self.certification
            .iter()
            .rev()
            .find(|(lower, _)| age >= *lower)
            .map_or(0.0, |(_, share)| *share)
    }

    /// Share of the population aged 65 or more.
    pub fn share_65_plus(&self) -> f64 {
        let total: f64 = self
            .age_bands
            .iter()
            .map(|b| b.male_thousands + b.female_thousands)
            .sum();
        let old: f64 = self
            .age_bands
            .iter()
            .filter(|b| b.lower >= 65)
            .map(|b| b.male_thousands + b.female_thousands)
            .sum();
        old / total
    }

    /// Share of persons 65+ certified, weighting each band's share by its population.
    pub fn certified_share_65_plus(&self) -> f64 {
        let (mut certified, mut total) = (0.0, 0.0);
        for b in self.age_bands.iter().filter(|b| b.lower >= 65) {
            let n = b.male_thousands + b.female_thousands;
            certified += n * self.certified_share(b.lower);
            total += n;
        }
        certified / total
    }

    /// Patients under treatment (thousands) for the conditions in `icd10_range`, as the
    /// survey groups them (`I10-I15`), if the survey gives a figure.
    pub fn patients_thousands(&self, icd10_range: &str) -> Option<f64> {
        self.patients_thousands
            .iter()
            .find(|(range, _)| *range == icd10_range)
            .map(|(_, thousands)| *thousands)
    }

    pub fn prefecture_index(&self, code: u32) -> Option<usize> {
        self.prefectures.iter().position(|p| p.code == code)
    }
}
