//! The synthetic country: prefectures (real codes and weights), secondary medical areas
//! (二次医療圏), municipalities (LTC insurers), medical facilities, LTC providers and
//! medical insurers, all derived deterministically from the seed and the number of
//! persons living in each prefecture.

use crate::catalog::LTC_SERVICES;
use crate::reference::reference;
use crate::rng::{Purpose, Stream};
use renkei_formats::check_digit::{modulus11_municipality, with_modulus10_w21};

pub struct Area {
    /// 4 digits: prefecture + 2.
    pub code: String,
    pub name: String,
}

pub struct Municipality {
    /// 6 digits: 全国地方公共団体コード with its check digit; also the LTC insurer number
    /// and, for 国保, the basis of the insurer number.
    pub code: String,
    pub name: String,
    pub area: usize,
    /// 5-digit postcode prefix; persons get the prefix plus two digits.
    pub postcode_prefix: String,
    /// Relative population.
    pub weight: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FacilityKind {
    Clinic,
    Hospital,
    DpcHospital,
}

pub struct Facility {
    pub kind: FacilityKind,
    /// 医療機関コード, 7 digits (郡市区 2 + 番号 4 + check digit).
    pub code7: String,
    /// prefecture 2 + 点数表 `1` + code7: how NDB identifies a facility.
    pub code10: String,
    /// prefecture 2 + code7: the DPC 施設コード.
    pub dpc_code: String,
    pub name: String,
    pub area: usize,
    pub beds: u32,
    /// Dispenses drugs itself (院内処方) instead of writing prescriptions.
    pub in_house_dispensing: bool,
    pub phone: String,
}

pub struct Provider {
    /// 事業所番号: prefecture 2 + `7` + 6 + check digit.
    pub number: String,
    pub name: String,
    pub service: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsurerKind {
    /// 国民健康保険 (municipal).
    Kokuho,
    /// 全国健康保険協会 (協会けんぽ).
    Kyokai,
    /// 健康保険組合.
    Kumiai,
    /// 共済組合.
    Kyosai,
    /// 後期高齢者医療広域連合.
    Koki,
}

impl InsurerKind {
    /// The 審査支払機関 the claims go to: `2` 国保連 for 国保 and 後期, else `1` 支払基金.
    pub fn payer(self) -> u8 {
        match self {
            InsurerKind::Kokuho | InsurerKind::Koki => 2,
            _ => 1,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InsurerKind::Kokuho => "国保",
            InsurerKind::Kyokai => "協会けんぽ",
            InsurerKind::Kumiai => "健保組合",
            InsurerKind::Kyosai => "共済",
            InsurerKind::Koki => "後期高齢者医療",
        }
    }
}

/// Everything in one prefecture. Persons `first_person .. first_person + persons` live here.
pub struct PrefectureWorld {
    pub index: usize,
    pub code: u32,
    pub name: &'static str,
    pub first_person: u64,
    pub persons: u64,
    pub areas: Vec<Area>,
    pub municipalities: Vec<Municipality>,
    pub facilities: Vec<Facility>,
    /// Facility indexes by kind, for choosing.
    pub clinics: Vec<usize>,
    pub hospitals: Vec<usize>,
    pub dpc_hospitals: Vec<usize>,
    pub providers: Vec<Provider>,
    /// Provider indexes per LTC service (parallel to `catalog::LTC_SERVICES`).
    pub providers_by_service: Vec<Vec<usize>>,
    pub kyokai: String,
    pub kumiai: Vec<String>,
    pub kyosai: Vec<String>,
    pub koki: String,
    /// 生活保護 (法別 12) 公費負担者番号 of the prefecture's welfare office.
    pub welfare_payer: String,
    /// 指定難病 (法別 54) 公費負担者番号.
    pub intractable_payer: String,
    /// 介護 単位数単価 (yen per unit).
    pub ltc_unit_price: f64,
}

const PLACE_WORDS: [&str; 24] = [
    "中央",
    "北",
    "南",
    "東",
    "西",
    "山田",
    "川口",
    "本",
    "新",
    "大原",
    "青葉",
    "若松",
    "桜",
    "高田",
    "松山",
    "緑",
    "朝日",
    "富士見",
    "日吉",
    "港",
    "栄",
    "平野",
    "芦田",
    "白石",
];
const CLINIC_STEMS: [&str; 10] = [
    "さくら",
    "あおば",
    "ひまわり",
    "みどり",
    "中央",
    "駅前",
    "やまもと",
    "こばやし",
    "すずき",
    "ふじ",
];
const CLINIC_KINDS: [&str; 8] = [
    "内科クリニック",
    "内科医院",
    "診療所",
    "整形外科",
    "小児科医院",
    "皮膚科クリニック",
    "眼科医院",
    "医院",
];

fn short_name(pref_name: &str) -> &str {
    pref_name.trim_end_matches(['県', '府', '都'])
}

/// Splits `total` persons over the prefectures by population (largest remainder), so that
/// every count is fixed by N alone.
pub fn persons_per_prefecture(total: u64) -> Vec<u64> {
    let r = reference();
    let pop: f64 = r.prefectures.iter().map(|p| p.population_thousands).sum();
    let exact: Vec<f64> = r
        .prefectures
        .iter()
        .map(|p| total as f64 * p.population_thousands / pop)
        .collect();
    let mut counts: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|a, b| {
        let fa = exact[*a] - exact[*a].floor();
        let fb = exact[*b] - exact[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    let missing = total - counts.iter().sum::<u64>();
    for i in order.into_iter().take(missing as usize) {
        counts[i] += 1;
    }
    counts
}

fn count(persons: u64, per: f64, min: usize) -> usize {
    ((persons as f64 / per).round() as usize).max(min)
}

fn ltc_unit_price(pref_code: u32) -> f64 {
    match pref_code {
        13 => 11.40,
        14 | 27 => 10.90,
        11 | 12 | 23 | 26 | 28 => 10.68,
        _ => 10.00,
    }
}

impl PrefectureWorld {
    pub fn build(seed: u64, index: usize, first_person: u64, persons: u64) -> PrefectureWorld {
        let r = reference();
        let p = &r.prefectures[index];
        let pc = format!("{:02}", p.code);
        let short = short_name(p.name_ja);

        let n_areas = 3 + (p.population_thousands / 700.0) as usize;
        let areas: Vec<Area> = (0..n_areas)
            .map(|a| Area {
                code: format!("{pc}{:02}", a + 1),
                name: format!("{short}{}医療圏", PLACE_WORDS[a % PLACE_WORDS.len()]),
            })
            .collect();

        let n_munis = 10 + (p.population_thousands / 200.0) as usize;
        let cities = (n_munis / 3).max(1);
        let municipalities: Vec<Municipality> = (0..n_munis)
            .map(|m| {
                let (number, suffix) = if m < cities {
                    (201 + m, "市")
                } else {
                    (301 + (m - cities) * 2, "町")
                };
                let body = format!("{pc}{number:03}");
                let word = PLACE_WORDS[m % PLACE_WORDS.len()];
                let round = m / PLACE_WORDS.len();
                let name = if round == 0 {
                    format!("{short}{word}{suffix}")
                } else {
                    format!("{word}第{}{suffix}", round + 1)
                };
                let area = m % n_areas;
                Municipality {
                    code: format!("{body}{}", modulus11_municipality(&body)),
                    name,
                    area,
                    postcode_prefix: format!("{:03}{:02}", 100 + (index * 17 + area) % 900, m % 100),
                    // Zipf-like: a few big cities, a long tail of towns.
                    weight: 1.0 / (m as f64 + 1.0),
                }
            })
            .collect();

        let mut frng = Stream::new(seed, Purpose::Facilities, index as u64, 0);
        let mut facilities = Vec::new();
        let mut per_area_seq = vec![0u32; n_areas];
        let plan = [
            (FacilityKind::DpcHospital, count(persons, 70_000.0, 1)),
            (FacilityKind::Hospital, count(persons, 22_000.0, 1)),
            (FacilityKind::Clinic, count(persons, 1_250.0, 2)),
        ];
        for (kind, n) in plan {
            for j in 0..n {
                let area = j % n_areas;
                per_area_seq[area] += 1;
                let body = format!("{:02}{:04}", area + 1, per_area_seq[area] % 10_000);
                let code7 = with_modulus10_w21(&body);
                let muni = &municipalities[(j * 7) % n_munis].name;
                let (name, beds, in_house) = match kind {
                    FacilityKind::DpcHospital => (format!("{muni}中央病院"), 200 + frng.between(0, 600), true),
                    FacilityKind::Hospital => (format!("{muni}第{}病院", j + 1), 50 + frng.between(0, 250), true),
                    FacilityKind::Clinic => (
                        format!("{}{}", frng.pick(&CLINIC_STEMS), frng.pick(&CLINIC_KINDS)),
                        0,
                        frng.chance(0.3),
                    ),
                };
                facilities.push(Facility {
                    kind,
                    code10: format!("{pc}1{code7}"),
                    dpc_code: format!("{pc}{code7}"),
                    code7,
                    name,
                    area,
                    beds,
                    in_house_dispensing: in_house,
                    phone: format!("0{}-{:04}-{:04}", 1 + index % 9, frng.below(10_000), frng.below(10_000)),
                });
            }
        }
        let of_kind = |k: FacilityKind| -> Vec<usize> {
            facilities
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == k)
                .map(|(i, _)| i)
                .collect()
        };
        let (clinics, hospitals, dpc_hospitals) = (
            of_kind(FacilityKind::Clinic),
            of_kind(FacilityKind::Hospital),
            of_kind(FacilityKind::DpcHospital),
        );

        let mut prng = Stream::new(seed, Purpose::Providers, index as u64, 0);
        let mut providers = Vec::new();
        let mut providers_by_service = Vec::new();
        for (s, service) in LTC_SERVICES.iter().enumerate() {
            let mut ids = Vec::new();
            for _ in 0..count(persons, service.persons_per_provider, 1) {
                let body = format!("{pc}7{:06}", providers.len() + 1);
                ids.push(providers.len());
                providers.push(Provider {
                    number: with_modulus10_w21(&body),
                    name: format!("{}{}", prng.pick(&CLINIC_STEMS), service.name_ja),
                    service: s,
                });
            }
            providers_by_service.push(ids);
        }

        let kumiai = (0..count(persons, 20_000.0, 1))
            .map(|k| with_modulus10_w21(&format!("06{pc}{:03}", 100 + k)))
            .collect();
        let kyosai = ["31", "32", "33", "34"]
            .iter()
            .map(|h| with_modulus10_w21(&format!("{h}{pc}001")))
            .collect();
        PrefectureWorld {
            index,
            code: p.code,
            name: p.name_ja,
            first_person,
            persons,
            areas,
            municipalities,
            facilities,
            clinics,
            hospitals,
            dpc_hospitals,
            providers,
            providers_by_service,
            kyokai: with_modulus10_w21(&format!("01{pc}001")),
            kumiai,
            kyosai,
            koki: with_modulus10_w21(&format!("39{pc}001")),
            welfare_payer: with_modulus10_w21(&format!("12{pc}001")),
            intractable_payer: with_modulus10_w21(&format!("54{pc}001")),
            ltc_unit_price: ltc_unit_price(p.code),
        }
    }

    /// The 国保 insurer number of a municipality: prefecture 2 + 3 + check digit.
    pub fn kokuho_insurer(&self, municipality: usize) -> String {
        with_modulus10_w21(&format!("{:02}{:03}", self.code, municipality + 1))
    }

    /// Clinics in `area`, or all of the prefecture's clinics when the area has none.
    pub fn clinics_near(&self, area: usize) -> Vec<usize> {
        let near: Vec<usize> = self
            .clinics
            .iter()
            .copied()
            .filter(|c| self.facilities[*c].area == area)
            .collect();
        if near.is_empty() { self.clinics.clone() } else { near }
    }
}
