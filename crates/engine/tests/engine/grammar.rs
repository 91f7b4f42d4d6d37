//! Random queries from the grammar the checks accept (docs/disclosure.md, "The query language
//! the checks accept"): outputs of counts, distinct counts of persons and records, sums and
//! means of linear values, each with an optional FILTER, arithmetic on them, HAVING; FROM
//! warehouse tables, joins on the person key, per-person derived tables in CTEs, semi-joins;
//! group keys of columns and coarsenings, sometimes ROLLUP or GROUPING SETS. Each query also
//! knows how to ask plain DataFusion for every person's contribution to each aggregate.

use crate::property::Random;

/// A numeric column that may be summed, and whether the dominance rules watch it.
pub struct Measure {
    pub column: &'static str,
    pub sensitive: bool,
}

/// A FROM clause (with its CTEs) and what it offers. Group keys are never NULL on the
/// sample, so that a NULL key in a ROLLUP row means "all".
pub struct Source {
    pub with: &'static str,
    pub from: &'static str,
    /// The person of each row (never NULL).
    pub person: &'static str,
    pub keys: &'static [&'static str],
    /// Conditions on one row, for WHERE, FILTER and CASE.
    pub conditions: &'static [&'static str],
    /// Semi-joins on the person key, for WHERE only.
    pub semi: &'static [&'static str],
    pub measures: &'static [Measure],
    /// Record keys, for count(DISTINCT …), and nullable columns, for count(column).
    pub records: &'static [&'static str],
    pub nullable: &'static [&'static str],
}

const fn m(column: &'static str, sensitive: bool) -> Measure {
    Measure { column, sensitive }
}

const DEMENTIA_IN: &str = "person_id IN (SELECT person_id FROM ndb_diagnoses WHERE substr(icd10, 1, 1) = 'F')";
const CERTIFIED_SEVERE: &str =
    "EXISTS (SELECT 1 FROM kaigo_certifications x WHERE x.person_id = {p} AND x.care_level >= '23')";

pub const SOURCES: &[Source] = &[
    Source {
        with: "",
        from: "ndb_claims c",
        person: "c.person_id",
        keys: &[
            "c.sex",
            "c.setting",
            "c.insurer_kind",
            "c.age / 10",
            "c.claim_month",
            "c.age / 25",
        ],
        conditions: &[
            "c.age >= 90",
            "c.sex = 2",
            "c.setting = 'inpatient'",
            "c.total_points > 5000",
            "c.age < 40",
        ],
        semi: &["c.{DEMENTIA_IN}", "{CERTIFIED_SEVERE}"],
        measures: &[m("c.total_points", true), m("c.age", false)],
        records: &["c.claim_id"],
        nullable: &["c.admission_date"],
    },
    Source {
        with: "",
        from: "kaigo_certifications k",
        person: "k.person_id",
        keys: &[
            "k.care_level",
            "k.sex",
            "k.dementia_grade",
            "k.age / 10",
            "k.application_kind",
            "substr(k.care_level, 1, 1)",
        ],
        conditions: &[
            "k.age >= 95",
            "k.dementia_grade = '8'",
            "k.care_level = '25'",
            "k.sex = 1",
            "k.valid_to IS NULL",
        ],
        semi: &["k.{DEMENTIA_IN}"],
        measures: &[m("k.age", false)],
        records: &[],
        nullable: &["k.valid_to"],
    },
    Source {
        with: "",
        from: "kaigo_claims s",
        person: "s.person_id",
        keys: &[
            "s.service_type",
            "s.care_level",
            "s.sex",
            "s.service_month",
            "s.age / 10",
        ],
        conditions: &[
            "s.age >= 90",
            "s.units > 20000",
            "s.care_level >= '23'",
            "s.sex = 2",
            "s.service_type = '11'",
        ],
        semi: &["s.{DEMENTIA_IN}"],
        measures: &[m("s.units", true), m("s.age", false)],
        records: &["s.claim_id"],
        nullable: &[],
    },
    Source {
        with: "",
        from: "dpc_cases d JOIN kaigo_certifications k ON k.person_id = d.person_id",
        person: "d.person_id",
        keys: &[
            "d.sex",
            "substr(d.main_icd10, 1, 1)",
            "d.discharge_outcome",
            "k.care_level",
            "d.age / 10",
        ],
        conditions: &[
            "d.age >= 85",
            "k.care_level >= '23'",
            "d.discharge_outcome = '6'",
            "d.sex = 1",
        ],
        semi: &[],
        measures: &[m("d.age", false), m("k.age", false)],
        records: &["d.case_id"],
        nullable: &[],
    },
    Source {
        with: "",
        from: "ndb_claims c JOIN ndb_diagnoses g ON g.claim_id = c.claim_id AND g.person_id = c.person_id",
        person: "c.person_id",
        keys: &[
            "c.sex",
            "g.outcome",
            "c.age / 20",
            "c.setting",
            "substr(g.disease_code, 1, 1)",
        ],
        conditions: &["g.is_main", "c.age < 20", "g.outcome = '3'", "c.sex = 2"],
        semi: &["{CERTIFIED_SEVERE}"],
        measures: &[m("c.total_points", true)],
        records: &["c.claim_id"],
        nullable: &["g.icd10", "g.start_date"],
    },
    Source {
        with: "",
        from: "dpc_cases d JOIN dpc_items i ON i.case_id = d.case_id AND i.person_id = d.person_id",
        person: "d.person_id",
        keys: &["d.sex", "i.data_category", "d.discharge_outcome", "d.age / 10"],
        conditions: &[
            "i.data_category IN ('50', '60')",
            "d.age >= 85",
            "i.points > 1000",
            "d.sex = 2",
        ],
        semi: &[],
        measures: &[m("i.points", true)],
        records: &["d.case_id"],
        nullable: &[],
    },
    Source {
        with: "WITH p AS (SELECT person_id, count(*) AS n, sum(total_points) AS s FROM ndb_claims GROUP BY person_id) ",
        from: "p JOIN kaigo_certifications k ON k.person_id = p.person_id",
        person: "k.person_id",
        keys: &["k.care_level", "k.sex", "k.age / 10", "k.dementia_grade"],
        conditions: &["p.n >= 20", "k.age >= 90", "p.s > 100000", "k.sex = 2"],
        semi: &["k.{DEMENTIA_IN}"],
        measures: &[m("p.s", true), m("p.n", false), m("k.age", false)],
        records: &[],
        nullable: &[],
    },
    Source {
        with: "WITH u AS (SELECT person_id, count(*) AS n, sum(units) AS units FROM kaigo_claims GROUP BY person_id), \
               q AS (SELECT person_id, count(*) AS claims, sum(total_points) AS points FROM ndb_claims GROUP BY person_id) ",
        from: "u LEFT JOIN q ON q.person_id = u.person_id",
        person: "u.person_id",
        keys: &["u.n / 4", "q.claims IS NULL"],
        conditions: &[
            "q.points > 50000",
            "u.units > 100000",
            "u.n >= 6",
            "q.person_id IS NULL",
        ],
        semi: &["u.{DEMENTIA_IN}"],
        measures: &[m("u.units", true), m("q.points", true), m("u.n", false)],
        records: &[],
        nullable: &["q.claims"],
    },
];

fn expand(text: &str, person: &str) -> String {
    text.replace("{DEMENTIA_IN}", DEMENTIA_IN)
        .replace("{CERTIFIED_SEVERE}", CERTIFIED_SEVERE)
        .replace("{p}", person)
}

/// A value summed or averaged: its SQL, the integer expression whose sums the test
/// recomputes (`sql` is `exact / divisor`), and whether dominance applies (every column in it
/// a sensitive measure, none a weight).
#[derive(Clone, Debug)]
pub struct Linear {
    pub sql: String,
    pub exact: String,
    pub divisor: i64,
    pub dominance: bool,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Rows,
    Values(&'static str),
    Persons,
    Records(&'static str),
    Sum(Linear),
    Mean(Linear),
}

#[derive(Clone, Debug)]
pub struct Aggregate {
    pub kind: Kind,
    pub filter: Option<String>,
}

impl Aggregate {
    /// What the cell adds up, as the engine's span check inside a row sorts cells: rows,
    /// persons, records, or one value (up to a literal factor, which the test leaves out).
    pub fn kind_name(&self) -> String {
        match &self.kind {
            Kind::Rows | Kind::Values(_) => "rows".into(),
            Kind::Persons => "persons".into(),
            Kind::Records(_) => "records".into(),
            Kind::Sum(l) | Kind::Mean(l) => format!("sum of {}", l.exact),
        }
    }

    pub fn is_count(&self) -> bool {
        !matches!(self.kind, Kind::Sum(_) | Kind::Mean(_))
    }

    pub fn sql(&self, person: &str) -> String {
        let bare = match &self.kind {
            Kind::Rows => "count(*)".to_string(),
            Kind::Values(c) => format!("count({c})"),
            Kind::Persons => format!("count(DISTINCT {person})"),
            Kind::Records(r) => format!("count(DISTINCT {r})"),
            Kind::Sum(l) => format!("sum({})", l.sql),
            Kind::Mean(l) => format!("avg({})", l.sql),
        };
        match &self.filter {
            Some(f) => format!("{bare} FILTER (WHERE {f})"),
            None => bare,
        }
    }

    /// Per person (grouped by keys and person): the value's exact sum `v`, its rows `n` (non-NULL
    /// values) and its non-zero rows `nz`.
    pub fn contributions(&self, person: &str, i: usize) -> String {
        let f = self.filter.as_deref().unwrap_or("TRUE");
        let (v, n, nz) = match &self.kind {
            Kind::Rows => (
                format!("count(*) FILTER (WHERE {f})"),
                format!("count(*) FILTER (WHERE {f})"),
                format!("count(*) FILTER (WHERE {f})"),
            ),
            Kind::Values(c) => (
                format!("count({c}) FILTER (WHERE {f})"),
                format!("count({c}) FILTER (WHERE {f})"),
                format!("count({c}) FILTER (WHERE {f})"),
            ),
            Kind::Persons => (
                format!("CASE WHEN count({person}) FILTER (WHERE {f}) > 0 THEN 1 ELSE 0 END"),
                format!("count(*) FILTER (WHERE {f})"),
                format!("count({person}) FILTER (WHERE {f})"),
            ),
            Kind::Records(r) => (
                format!("count(DISTINCT {r}) FILTER (WHERE {f})"),
                format!("count({r}) FILTER (WHERE {f})"),
                format!("count({r}) FILTER (WHERE {f})"),
            ),
            Kind::Sum(l) | Kind::Mean(l) => (
                format!("CAST(sum({}) FILTER (WHERE {f}) AS BIGINT)", l.exact),
                format!("count({}) FILTER (WHERE {f})", l.exact),
                format!("count({}) FILTER (WHERE ({f}) AND ({}) <> 0)", l.exact, l.exact),
            ),
        };
        format!("{v} AS v{i}, {n} AS n{i}, {nz} AS z{i}")
    }
}

/// A column computed from two aggregates, judged after suppression.
#[derive(Clone, Copy, Debug)]
pub enum Derived {
    Difference(usize, usize),
    Ratio(usize, usize),
}

#[derive(Clone, Debug)]
pub enum Grouping {
    Plain,
    Rollup,
    /// Grouping sets, as lists of key indices; the first is the full set.
    Sets(Vec<Vec<usize>>),
}

pub struct Query {
    pub source: &'static Source,
    pub keys: Vec<String>,
    pub grouping: Grouping,
    pub filter: Option<String>,
    pub aggregates: Vec<Aggregate>,
    /// Which aggregates are output columns of their own (`a{i}`); the others only feed
    /// derived columns (`d{j}`).
    pub shown: Vec<bool>,
    pub derived: Vec<Derived>,
    /// HAVING aggregate > literal.
    pub having: Option<(usize, i64)>,
}

impl Query {
    /// The levels of grouping: which keys each kind of output row keeps.
    pub fn levels(&self) -> Vec<Vec<usize>> {
        let n = self.keys.len();
        match &self.grouping {
            Grouping::Plain => vec![(0..n).collect()],
            Grouping::Rollup => (0..=n).rev().map(|k| (0..k).collect()).collect(),
            Grouping::Sets(sets) => sets.clone(),
        }
    }

    pub fn person(&self) -> &str {
        self.source.person
    }

    pub fn value_columns(&self) -> Vec<String> {
        let shown = (0..self.aggregates.len())
            .filter(|i| self.shown[*i])
            .map(|i| format!("a{i}"));
        shown.chain((0..self.derived.len()).map(|j| format!("d{j}"))).collect()
    }

    fn where_clause(&self) -> String {
        self.filter.as_ref().map(|f| format!(" WHERE {f}")).unwrap_or_default()
    }

    pub fn sql(&self) -> String {
        let p = self.person();
        let mut select: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} AS k{i}"))
            .collect();
        for (i, a) in self.aggregates.iter().enumerate() {
            if self.shown[i] {
                select.push(format!("{} AS a{i}", a.sql(p)));
            }
        }
        for (j, d) in self.derived.iter().enumerate() {
            let (x, y) = match d {
                Derived::Difference(x, y) | Derived::Ratio(x, y) => {
                    (self.aggregates[*x].sql(p), self.aggregates[*y].sql(p))
                }
            };
            select.push(match d {
                Derived::Difference(..) => format!("{x} - {y} AS d{j}"),
                Derived::Ratio(..) => format!("{x} * 1.0 / {y} AS d{j}"),
            });
        }
        let group = match &self.grouping {
            Grouping::Plain => self.keys.join(", "),
            Grouping::Rollup => format!("ROLLUP ({})", self.keys.join(", ")),
            Grouping::Sets(sets) => format!(
                "GROUPING SETS ({})",
                sets.iter()
                    .map(|s| format!(
                        "({})",
                        s.iter().map(|i| self.keys[*i].as_str()).collect::<Vec<_>>().join(", ")
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let having = self
            .having
            .map(|(i, n)| format!(" HAVING {} > {n}", self.aggregates[i].sql(p)))
            .unwrap_or_default();
        format!(
            "{}SELECT {} FROM {}{} GROUP BY {group}{having}",
            self.source.with,
            select.join(", "),
            self.source.from,
            self.where_clause()
        )
    }

    /// Plain DataFusion: per group of `level` and person, every aggregate's contributions
    /// (`k{i}` of the kept keys, `__p`, then `v{i}, n{i}, z{i}`).
    pub fn contributions_sql(&self, level: &[usize]) -> String {
        let p = self.person();
        let mut select: Vec<String> = level.iter().map(|i| format!("{} AS k{i}", self.keys[*i])).collect();
        select.push(format!("{p} AS __p"));
        select.extend(self.aggregates.iter().enumerate().map(|(i, a)| a.contributions(p, i)));
        let mut group: Vec<&str> = level.iter().map(|i| self.keys[*i].as_str()).collect();
        group.push(p);
        format!(
            "{}SELECT {} FROM {}{} GROUP BY {}",
            self.source.with,
            select.join(", "),
            self.source.from,
            self.where_clause(),
            group.join(", ")
        )
    }
}

fn linear(r: &mut Random, s: &Source) -> Linear {
    let a = &s.measures[r.below(s.measures.len())];
    let b = &s.measures[r.below(s.measures.len())];
    let (sql, divisor, dominance) = match r.below(7) {
        0 | 1 => (a.column.to_string(), 1, a.sensitive),
        2 => (format!("3 * {}", a.column), 1, a.sensitive),
        3 => (
            format!("{} + 2 * {}", a.column, b.column),
            1,
            a.sensitive && b.sensitive,
        ),
        4 => {
            return Linear {
                sql: format!("{} / 4.0", a.column),
                exact: a.column.to_string(),
                divisor: 4,
                dominance: a.sensitive,
            };
        }
        5 => (
            format!("CASE WHEN {} THEN {} ELSE 0 END", r.pick(s.conditions), a.column),
            1,
            a.sensitive,
        ),
        _ => (
            format!("CASE WHEN {} THEN 1 ELSE 0 END", r.pick(s.conditions)),
            1,
            false,
        ),
    };
    Linear {
        exact: sql.clone(),
        sql,
        divisor,
        dominance,
    }
}

fn aggregate(r: &mut Random, s: &Source, counts_only: bool) -> Aggregate {
    let kind = loop {
        let kind = match r.below(9) {
            0 | 1 => Kind::Rows,
            2 | 3 => Kind::Persons,
            4 if !s.records.is_empty() => Kind::Records(r.pick(s.records)),
            5 if !s.nullable.is_empty() => Kind::Values(r.pick(s.nullable)),
            6 | 7 if !counts_only => Kind::Sum(linear(r, s)),
            8 if !counts_only => Kind::Mean(linear(r, s)),
            _ => continue,
        };
        break kind;
    };
    let filter = (r.below(5) < 2).then(|| {
        let f = r.pick(s.conditions);
        if r.below(3) == 0 {
            format!("NOT ({f})")
        } else {
            f.to_string()
        }
    });
    Aggregate { kind, filter }
}

/// A random query over `SOURCES`; `counts_only` for a policy that rounds (no SUM, AVG,
/// arithmetic on counts or HAVING).
pub fn query(r: &mut Random, counts_only: bool) -> Query {
    let source = &SOURCES[r.below(SOURCES.len())];
    let mut keys: Vec<String> = Vec::new();
    for _ in 0..1 + r.below(2) {
        let k = r.pick(source.keys).to_string();
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let grouping = match r.below(6) {
        0 => Grouping::Rollup,
        1 if keys.len() == 2 => Grouping::Sets(vec![vec![0, 1], vec![1]]),
        2 if keys.len() == 2 => Grouping::Sets(vec![vec![0, 1], vec![0], vec![1], vec![]]),
        _ => Grouping::Plain,
    };
    let filter = match r.below(6) {
        0 | 1 => Some(r.pick(source.conditions).to_string()),
        2 if !source.semi.is_empty() => Some(expand(r.pick(source.semi), source.person)),
        _ => None,
    };
    let aggregates: Vec<Aggregate> = (0..1 + r.below(4)).map(|_| aggregate(r, source, counts_only)).collect();
    let mut shown = vec![true; aggregates.len()];
    let mut derived = Vec::new();
    let plain: Vec<usize> = (0..aggregates.len())
        .filter(|i| match &aggregates[*i].kind {
            Kind::Sum(l) => l.divisor == 1,
            Kind::Mean(_) => false,
            _ => true,
        })
        .collect();
    if !counts_only && plain.len() >= 2 && r.below(3) == 0 {
        let (x, y) = (plain[0], plain[1 + r.below(plain.len() - 1)]);
        derived.push(if r.below(2) == 0 {
            Derived::Difference(x, y)
        } else {
            Derived::Ratio(x, y)
        });
        if r.below(2) == 0 {
            shown[x] = false;
        }
    }
    let having = (!counts_only && r.below(5) == 0).then(|| {
        let counts: Vec<usize> = (0..aggregates.len()).filter(|i| aggregates[*i].is_count()).collect();
        let i = if counts.is_empty() {
            0
        } else {
            counts[r.below(counts.len())]
        };
        (i, [0, 5, 20, 60][r.below(4)])
    });
    Query {
        source,
        keys,
        grouping,
        filter,
        aggregates,
        shown,
        derived,
        having,
    }
}
