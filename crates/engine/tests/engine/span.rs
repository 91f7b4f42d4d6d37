//! Exact linear algebra for the span checks of the tests: integers modulo the prime 2⁶¹ − 1.
//! Released cells are integer vectors over persons (or atoms); over this field a dependence
//! is found exactly, and an independence is mistaken for a dependence with a chance of about
//! 10⁻¹⁷ per test (which could only make a test fail, never pass wrongly).

pub const P: u64 = (1 << 61) - 1;

fn reduce(x: u128) -> u64 {
    // x < 2^122; 2^61 ≡ 1 (mod P).
    let r = (x as u64 & P) + (x >> 61) as u64;
    let r = (r & P) + (r >> 61);
    if r >= P { r - P } else { r }
}

pub fn mul(a: u64, b: u64) -> u64 {
    reduce(u128::from(a) * u128::from(b))
}

fn sub(a: u64, b: u64) -> u64 {
    if a >= b { a - b } else { a + P - b }
}

/// An integer as an element of the field.
pub fn element(v: i128) -> u64 {
    v.rem_euclid(i128::from(P)) as u64
}

pub fn inverse(a: u64) -> u64 {
    let (mut result, mut base, mut e) = (1u64, a, P - 2);
    while e > 0 {
        if e & 1 == 1 {
            result = mul(result, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    result
}

/// Reduced row echelon form in place; the pivot column of each row, in row order.
fn echelon(rows: &mut Vec<Vec<u64>>) -> Vec<usize> {
    let width = rows.first().map_or(0, Vec::len);
    let mut pivots = Vec::new();
    for column in 0..width {
        let rank = pivots.len();
        let Some(pivot) = (rank..rows.len()).find(|r| rows[*r][column] != 0) else {
            continue;
        };
        rows.swap(rank, pivot);
        let scale = inverse(rows[rank][column]);
        let pivot_row: Vec<u64> = rows[rank].iter().map(|v| mul(*v, scale)).collect();
        for (r, row) in rows.iter_mut().enumerate() {
            if r != rank && row[column] != 0 {
                let factor = row[column];
                for (v, p) in row.iter_mut().zip(&pivot_row).skip(column) {
                    if *p != 0 {
                        *v = sub(*v, mul(factor, *p));
                    }
                }
            }
        }
        rows[rank] = pivot_row;
        pivots.push(column);
        if pivots.len() == rows.len() {
            break;
        }
    }
    rows.truncate(pivots.len());
    pivots
}

/// The rank of `rows` over the field.
pub fn rank(mut rows: Vec<Vec<u64>>) -> usize {
    echelon(&mut rows).len()
}

/// What the released cells of one connected component let a linear combination isolate.
#[derive(Debug, Default)]
pub struct Isolation {
    /// Columns (rays) of 1 to min − 1 persons whose unit vector lies in the span of the cells:
    /// some combination of the cells is a multiple of their persons' contributions alone.
    pub small_rays: Vec<usize>,
    /// The persons of a smallest combination found whose support is 1 to min − 1 persons
    /// spread over several rays (a sum of small atoms), when one is found.
    pub small_support: Option<(u64, Vec<usize>)>,
    /// Whether the search for such sums was exhaustive (it is when the combinations that
    /// vanish on every large ray form a space of dimension at most 2, or 3 over few rays).
    pub decided: bool,
}

/// `cells`: one row per released cell, one column per ray (persons whose contributions to
/// the cells are proportional), `weights` the persons of each ray (≥ 1). A linear combination
/// of the cells is zero on a ray or non-zero on every person of it; the question is whether
/// some combination is non-zero on 1 to `min − 1` persons only.
pub fn isolation(cells: &[Vec<u64>], weights: &[u64], min: u64) -> Isolation {
    let small = |w: u64| (1..min).contains(&w);
    // Large rays first: rows whose pivot lies among the small rays are then exactly the
    // combinations that vanish on every large ray.
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|c| small(weights[*c]));
    let first_small = order.iter().position(|c| small(weights[*c])).unwrap_or(order.len());
    let mut rows: Vec<Vec<u64>> = cells.iter().map(|r| order.iter().map(|c| r[*c]).collect()).collect();
    let pivots = echelon(&mut rows);
    let mut out = Isolation {
        decided: true,
        ..Isolation::default()
    };
    for (row, pivot) in rows.iter().zip(&pivots) {
        if *pivot >= first_small && row.iter().filter(|v| **v != 0).count() == 1 {
            out.small_rays.push(order[*pivot]);
        }
    }
    // The space of combinations vanishing on the large rays, as vectors over the small ones.
    let basis: Vec<&Vec<u64>> = rows
        .iter()
        .zip(&pivots)
        .filter(|(_, p)| **p >= first_small)
        .map(|(r, _)| r)
        .collect();
    let d = basis.len();
    if d == 0 {
        return out;
    }
    // Each small ray's coordinates in that space, up to a factor; rays with the same
    // direction are zero together.
    let mut classes: Vec<(Vec<u64>, u64, Vec<usize>)> = Vec::new();
    for c in first_small..order.len() {
        let mut v: Vec<u64> = basis.iter().map(|r| r[c]).collect();
        let Some(lead) = v.iter().find(|x| **x != 0).copied() else {
            continue;
        };
        let scale = inverse(lead);
        v.iter_mut().for_each(|x| *x = mul(*x, scale));
        match classes.iter_mut().find(|(u, _, _)| *u == v) {
            Some((_, w, members)) => {
                *w += weights[order[c]];
                members.push(order[c]);
            }
            None => classes.push((v, weights[order[c]], vec![order[c]])),
        }
    }
    let total: u64 = classes.iter().map(|(_, w, _)| w).sum();
    let mut consider = |w: u64, members: Vec<usize>| {
        if small(w) && out.small_support.as_ref().is_none_or(|(b, _)| w < *b) {
            out.small_support = Some((w, members));
        }
    };
    let all = |keep: &dyn Fn(&Vec<u64>) -> bool| -> (u64, Vec<usize>) {
        let chosen = classes.iter().filter(|(v, _, _)| keep(v));
        (
            chosen.clone().map(|(_, w, _)| w).sum(),
            chosen.flat_map(|(_, _, m)| m.clone()).collect(),
        )
    };
    // Any non-zero combination of the space is supported within all of its rays.
    let (w, members) = all(&|_| true);
    consider(w, members);
    match d {
        1 => {}
        2 => {
            // Hyperplanes of a plane are lines: the combination zero on one class.
            for (v0, _, _) in &classes {
                let (w, members) = all(&|v| v != v0);
                consider(w, members);
            }
        }
        3 if classes.len() <= 80 => {
            for (i, (a, _, _)) in classes.iter().enumerate() {
                for (b, _, _) in classes.iter().skip(i + 1) {
                    let normal = [
                        sub(mul(a[1], b[2]), mul(a[2], b[1])),
                        sub(mul(a[2], b[0]), mul(a[0], b[2])),
                        sub(mul(a[0], b[1]), mul(a[1], b[0])),
                    ];
                    let dot = |v: &Vec<u64>| (0..3).fold(0u64, |s, k| (s + mul(normal[k], v[k])) % P);
                    let (w, members) = all(&|v| dot(v) != 0);
                    consider(w, members);
                }
            }
        }
        _ => out.decided = total < min,
    }
    out
}
