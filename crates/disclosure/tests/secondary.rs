//! Secondary suppression against an independent oracle: exact ranks of the published cells'
//! vectors say whether any primary cell could be solved from them.

use renkei_disclosure::{CellStatus, SecondaryError, secondary_suppression};

/// SplitMix64: a small deterministic generator, so the tests need no rand crate.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// A table with every margin (what SQL's CUBE produces): for each subset of the dimensions, one
/// cell per combination of the kept dimensions' values, adding up the inner cells that agree
/// with it. Returns the cells and, per cell, which dimensions it keeps (a bit mask).
fn cube(sizes: &[u32]) -> (usize, Vec<Vec<u32>>, Vec<u32>) {
    let inner_count: usize = sizes.iter().map(|&s| s as usize).product();
    let coordinates = |mut inner: usize| -> Vec<u32> {
        let mut at = vec![0; sizes.len()];
        for d in (0..sizes.len()).rev() {
            at[d] = (inner % sizes[d] as usize) as u32;
            inner /= sizes[d] as usize;
        }
        at
    };
    let mut cells = Vec::new();
    let mut kept = Vec::new();
    for mask in (0..1u32 << sizes.len()).rev() {
        let mut groups: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
        for inner in 0..inner_count {
            let at = coordinates(inner);
            let key: Vec<u32> = (0..sizes.len())
                .filter(|d| mask & (1 << d) != 0)
                .map(|d| at[d])
                .collect();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(inner as u32),
                None => groups.push((key, vec![inner as u32])),
            }
        }
        for (_, members) in groups {
            cells.push(members);
            kept.push(mask);
        }
    }
    (inner_count, cells, kept)
}

/// Published vectors in echelon form, by fraction-free elimination with checked `i128`
/// arithmetic (an overflow fails the test rather than giving a wrong answer). Rows are dense
/// over `columns`; row k is zero at the pivots of rows before it.
struct Echelon {
    rows: Vec<(usize, Vec<i128>)>,
}

impl Echelon {
    fn of(vectors: impl IntoIterator<Item = Vec<i128>>) -> Echelon {
        let mut echelon = Echelon { rows: Vec::new() };
        for vector in vectors {
            let reduced = echelon.reduce(vector);
            if let Some(pivot) = reduced.iter().position(|&x| x != 0) {
                echelon.rows.push((pivot, reduced));
            }
        }
        echelon
    }

    fn reduce(&self, mut vector: Vec<i128>) -> Vec<i128> {
        fn gcd(a: i128, b: i128) -> i128 {
            if b == 0 { a.abs() } else { gcd(b, a % b) }
        }
        for (pivot, row) in &self.rows {
            let factor = vector[*pivot];
            if factor == 0 {
                continue;
            }
            for (x, r) in vector.iter_mut().zip(row) {
                *x = x
                    .checked_mul(row[*pivot])
                    .and_then(|x| x.checked_sub(r.checked_mul(factor)?))
                    .expect("oracle overflow");
            }
            let common = vector.iter().fold(0, |g, &x| gcd(g, x));
            if common > 1 {
                vector.iter_mut().for_each(|x| *x /= common);
            }
        }
        vector
    }

    fn contains(&self, vector: Vec<i128>) -> bool {
        self.reduce(vector).iter().all(|&x| x == 0)
    }
}

/// The span of some cells' vectors, for asking whether a cell is a linear combination of them.
/// Cells that are single inner cells are unit vectors: they span exactly their coordinates, so
/// the question is asked of everything projected onto the other coordinates, which keeps it
/// exact and makes large tables small.
struct Span {
    /// Position of each inner cell among the coordinates kept, None if spanned by a unit vector.
    coordinate: Vec<Option<usize>>,
    width: usize,
    echelon: Echelon,
}

impl Span {
    fn of(inner_count: usize, cells: &[&Vec<u32>]) -> Span {
        let mut unit = vec![false; inner_count];
        for cell in cells.iter().filter(|c| c.len() == 1) {
            unit[cell[0] as usize] = true;
        }
        let mut width = 0;
        let coordinate = unit
            .iter()
            .map(|&u| {
                (!u).then(|| {
                    width += 1;
                    width - 1
                })
            })
            .collect();
        let mut span = Span {
            coordinate,
            width,
            echelon: Echelon { rows: Vec::new() },
        };
        let projected: Vec<Vec<i128>> = cells.iter().map(|c| span.project(c)).collect();
        span.echelon = Echelon::of(projected);
        span
    }

    fn project(&self, cell: &[u32]) -> Vec<i128> {
        let mut vector = vec![0; self.width];
        for &i in cell {
            if let Some(at) = self.coordinate[i as usize] {
                vector[at] = 1;
            }
        }
        vector
    }

    fn contains(&self, cell: &[u32]) -> bool {
        self.echelon.contains(self.project(cell))
    }
}

fn dense(inner_count: usize, cell: &[u32]) -> Vec<i128> {
    let mut vector = vec![0; inner_count];
    for &i in cell {
        vector[i as usize] = 1;
    }
    vector
}

/// The cells published when `hidden` is hidden on top of the primary and unpublished ones.
fn published<'a>(cells: &'a [Vec<u32>], status: &[CellStatus], hidden: &[usize]) -> Vec<&'a Vec<u32>> {
    (0..cells.len())
        .filter(|j| status[*j] == CellStatus::Candidate && !hidden.contains(j))
        .map(|j| &cells[j])
        .collect()
}

/// Whether some non-empty primary cell is a linear combination of the published cells.
fn discloses(inner_count: usize, cells: &[Vec<u32>], status: &[CellStatus], hidden: &[usize]) -> Option<usize> {
    let span = Span::of(inner_count, &published(cells, status, hidden));
    (0..cells.len()).find(|&j| status[j] == CellStatus::Primary && !cells[j].is_empty() && span.contains(&cells[j]))
}

fn assert_protected(inner_count: usize, cells: &[Vec<u32>], status: &[CellStatus], hidden: &[usize]) {
    if let Some(primary) = discloses(inner_count, cells, status, hidden) {
        panic!("primary cell {primary} can be recomputed from the published cells");
    }
}

/// Each secondary cell is needed given the others: publishing it as well would disclose a primary.
fn assert_needed(inner_count: usize, cells: &[Vec<u32>], status: &[CellStatus], hidden: &[usize], secondary: usize) {
    let others: Vec<usize> = hidden.iter().copied().filter(|&h| h != secondary).collect();
    assert!(
        discloses(inner_count, cells, status, &others).is_some(),
        "cell {secondary} was hidden without need"
    );
}

fn assert_each_secondary_needed(inner_count: usize, cells: &[Vec<u32>], status: &[CellStatus], hidden: &[usize]) {
    for &secondary in hidden {
        assert_needed(inner_count, cells, status, hidden, secondary);
    }
}

fn suppress(inner_count: usize, cells: &[Vec<u32>], status: &[CellStatus], priority: &[f64]) -> Vec<usize> {
    secondary_suppression(inner_count, cells, status, priority).expect("valid input")
}

#[test]
fn one_dimension_with_a_total_hides_the_least_wanted_other_cell() {
    // Inner cells 0..6 and their total (cell 6); cell 2 is primary.
    let mut cells: Vec<Vec<u32>> = (0..6).map(|i| vec![i]).collect();
    cells.push((0..6).collect());
    let mut status = vec![CellStatus::Candidate; 7];
    status[2] = CellStatus::Primary;
    let priority = [40.0, 12.0, 3.0, 25.0, 11.0, 30.0, 121.0];
    assert_eq!(suppress(6, &cells, &status, &priority), vec![4]);
    // The total is least wanted of all: hiding it alone protects cell 2.
    let priority = [40.0, 12.0, 3.0, 25.0, 11.0, 30.0, 1.0];
    assert_eq!(suppress(6, &cells, &status, &priority), vec![6]);
}

/// [`cube`] with each cell's priority the count it shows, given the inner cells' counts.
fn counted(sizes: &[u32], inner_counts: &[u64]) -> (usize, Vec<Vec<u32>>, Vec<u32>, Vec<f64>) {
    let (inner_count, cells, kept) = cube(sizes);
    let priority = cells
        .iter()
        .map(|c| c.iter().map(|&i| inner_counts[i as usize]).sum::<u64>() as f64)
        .collect();
    (inner_count, cells, kept, priority)
}

fn inner_cell(cells: &[Vec<u32>], inner: u32) -> usize {
    cells
        .iter()
        .position(|c| *c == vec![inner])
        .expect("every inner cell is a cell")
}

#[test]
fn two_dimensions_with_margins_hide_a_rectangle() {
    // 4 rows × 5 columns; the primary is row 1, column 2 (3 persons). The least wanted other
    // cells are (1, 4), (3, 2) and (3, 4): one in its row, one in its column, one at the
    // opposite corner.
    let at = |row: u32, column: u32| row * 5 + column;
    let mut inner_counts = vec![40; 20];
    inner_counts[at(1, 2) as usize] = 3;
    inner_counts[at(1, 4) as usize] = 12;
    inner_counts[at(3, 2) as usize] = 14;
    inner_counts[at(3, 4) as usize] = 13;
    let (inner_count, cells, kept, priority) = counted(&[4, 5], &inner_counts);
    let mut status = vec![CellStatus::Candidate; cells.len()];
    status[inner_cell(&cells, at(1, 2))] = CellStatus::Primary;

    let hidden = suppress(inner_count, &cells, &status, &priority);
    let mut rectangle = vec![
        inner_cell(&cells, at(1, 4)),
        inner_cell(&cells, at(3, 2)),
        inner_cell(&cells, at(3, 4)),
    ];
    rectangle.sort_unstable();
    assert_eq!(hidden, rectangle);
    assert!(hidden.iter().all(|&j| kept[j] == 0b11), "margins stay published");
    assert_protected(inner_count, &cells, &status, &hidden);
    assert_each_secondary_needed(inner_count, &cells, &status, &hidden);
}

#[test]
fn two_dimensions_with_random_counts_hide_at_least_three_around_the_primary() {
    let mut random = Generator(17);
    let mut rectangles = 0;
    for _ in 0..40 {
        let inner_counts: Vec<u64> = (0..20).map(|_| 1 + random.below(60)).collect();
        let (inner_count, cells, kept, priority) = counted(&[4, 5], &inner_counts);
        let primary_inner = random.below(20) as u32;
        let mut status = vec![CellStatus::Candidate; cells.len()];
        status[inner_cell(&cells, primary_inner)] = CellStatus::Primary;
        let hidden = suppress(inner_count, &cells, &status, &priority);

        assert!(hidden.len() >= 3, "{hidden:?}");
        let (row, column) = (primary_inner / 5, primary_inner % 5);
        let positions: Vec<(u32, u32)> = hidden
            .iter()
            .filter(|&&j| kept[j] == 0b11)
            .map(|&j| (cells[j][0] / 5, cells[j][0] % 5))
            .collect();
        assert!(
            positions.iter().any(|&(r, c)| r == row && c != column),
            "one in the same row"
        );
        assert!(
            positions.iter().any(|&(r, c)| r != row && c == column),
            "one in the same column"
        );
        assert_protected(inner_count, &cells, &status, &hidden);
        assert_each_secondary_needed(inner_count, &cells, &status, &hidden);
        rectangles += usize::from(hidden.len() == 3);
    }
    // The greedy order can close a longer cycle (5 secondaries) where a rectangle would do;
    // most of the time it finds the rectangle.
    assert!(rectangles >= 20, "{rectangles} of 40 were rectangles");
}

#[test]
fn unpublished_cells_need_no_hiding_around_them() {
    let mut cells: Vec<Vec<u32>> = (0..4).map(|i| vec![i]).collect();
    cells.push((0..4).collect());
    let priority = [5.0, 6.0, 7.0, 8.0, 26.0];
    let mut status = vec![CellStatus::Candidate; 5];
    status[1] = CellStatus::Primary;
    status[4] = CellStatus::Unpublished;
    assert_eq!(suppress(4, &cells, &status, &priority), Vec::<usize>::new());

    // An unpublished sum {0, 1} (say, a subtotal the user's HAVING dropped) would have given
    // cell 1 away with cell 0; it is not published, so the one cell hidden is among the
    // candidates: cell 0, the least wanted.
    cells.push(vec![0, 1]);
    let status = [
        CellStatus::Candidate,
        CellStatus::Primary,
        CellStatus::Candidate,
        CellStatus::Candidate,
        CellStatus::Candidate,
        CellStatus::Unpublished,
    ];
    let priority = [5.0, 6.0, 7.0, 8.0, 26.0, 100.0];
    assert_eq!(suppress(4, &cells, &status, &priority), vec![0]);
    assert_protected(4, &cells, &status, &[0]);
}

#[test]
fn a_cell_equal_to_a_primary_is_hidden() {
    // Region A has one municipality (a); region B has b1 and b2. Cells: a, b1, b2, A, B, total.
    let cells = vec![vec![0], vec![1], vec![2], vec![0], vec![1, 2], vec![0, 1, 2]];
    let mut status = vec![CellStatus::Candidate; 6];
    status[0] = CellStatus::Primary;
    let priority = [4.0, 30.0, 20.0, 4.0, 50.0, 54.0];
    let hidden = suppress(3, &cells, &status, &priority);
    // A repeats a, and the total minus B is a: B goes, and then b2 with it.
    assert_eq!(hidden, vec![2, 3, 4]);
    assert_protected(3, &cells, &status, &hidden);
    assert_each_secondary_needed(3, &cells, &status, &hidden);
}

#[test]
fn empty_primary_needs_no_protection() {
    let cells = vec![vec![], vec![0], vec![1], vec![0, 1]];
    let status = [
        CellStatus::Primary,
        CellStatus::Candidate,
        CellStatus::Candidate,
        CellStatus::Candidate,
    ];
    assert_eq!(suppress(2, &cells, &status, &[0.0, 1.0, 2.0, 3.0]), Vec::<usize>::new());
}

#[test]
fn ties_in_priority_go_to_the_lower_index() {
    let mut cells: Vec<Vec<u32>> = (0..4).map(|i| vec![i]).collect();
    cells.push((0..4).collect());
    let status = [
        CellStatus::Primary,
        CellStatus::Candidate,
        CellStatus::Candidate,
        CellStatus::Candidate,
        CellStatus::Candidate,
    ];
    // All equal: cells 1, 2, 3 and the total are published in index order, so the last one is hidden.
    assert_eq!(suppress(4, &cells, &status, &[1.0; 5]), vec![4]);
}

#[test]
fn bad_input_is_an_error() {
    let cells = vec![vec![0, 1], vec![2]];
    let two = [CellStatus::Candidate, CellStatus::Primary];
    assert_eq!(
        secondary_suppression(3, &cells, &two[..1], &[1.0, 2.0]),
        Err(SecondaryError::LengthMismatch {
            cells: 2,
            statuses: 1,
            priorities: 2
        })
    );
    assert_eq!(
        secondary_suppression(2, &cells, &two, &[1.0, 2.0]),
        Err(SecondaryError::InnerOutOfRange {
            cell: 1,
            inner: 2,
            inner_count: 2
        })
    );
    assert_eq!(
        secondary_suppression(3, &[vec![1, 1]], &two[..1], &[1.0]),
        Err(SecondaryError::InnerNotSorted { cell: 0 })
    );
    assert_eq!(
        secondary_suppression(3, &[vec![1, 0]], &two[..1], &[1.0]),
        Err(SecondaryError::InnerNotSorted { cell: 0 })
    );
    assert_eq!(
        secondary_suppression(3, &cells, &two, &[1.0, f64::NAN]),
        Err(SecondaryError::PriorityNotANumber { cell: 1 })
    );
}

/// Random small tables — inner cells, random sums of them (duplicates included), random roles
/// and priorities with ties — checked against exact ranks.
#[test]
fn random_tables_protect_every_primary_and_hide_nothing_needlessly() {
    let mut random = Generator(2024);
    let mut total_hidden = 0;
    for case in 0..400 {
        let inner_count = 2 + random.below(7) as usize;
        let mut cells: Vec<Vec<u32>> = Vec::new();
        for i in 0..inner_count as u32 {
            if random.below(5) != 0 {
                cells.push(vec![i]);
            }
        }
        for _ in 0..1 + random.below(7) {
            let sum: Vec<u32> = (0..inner_count as u32).filter(|_| random.below(2) == 0).collect();
            cells.push(sum);
        }
        cells.push((0..inner_count as u32).collect());
        let status: Vec<CellStatus> = cells
            .iter()
            .map(|_| match random.below(10) {
                0..=2 => CellStatus::Primary,
                3 => CellStatus::Unpublished,
                _ => CellStatus::Candidate,
            })
            .collect();
        let priority: Vec<f64> = cells.iter().map(|_| random.below(6) as f64).collect();

        let hidden = suppress(inner_count, &cells, &status, &priority);
        assert!(
            hidden.windows(2).all(|w| w[0] < w[1]),
            "case {case}: sorted and distinct"
        );
        assert!(
            hidden.iter().all(|&j| status[j] == CellStatus::Candidate),
            "case {case}: only candidates"
        );
        assert_protected(inner_count, &cells, &status, &hidden);
        assert_each_secondary_needed(inner_count, &cells, &status, &hidden);
        assert_eq!(
            suppress(inner_count, &cells, &status, &priority),
            hidden,
            "case {case}: deterministic"
        );
        // The projection the oracle uses agrees with plain ranks over all inner cells.
        let published = published(&cells, &status, &hidden);
        let plain = Echelon::of(published.iter().map(|c| dense(inner_count, c)));
        let projected = Span::of(inner_count, &published);
        for cell in &cells {
            assert_eq!(
                plain.contains(dense(inner_count, cell)),
                projected.contains(cell),
                "case {case}"
            );
        }
        total_hidden += hidden.len();
    }
    assert!(
        total_hidden > 100,
        "the cases exercise suppression: {total_hidden} cells hidden"
    );
}

#[test]
fn three_dimensional_cube_is_protected() {
    let (inner_count, cells, _) = cube(&[3, 4, 3]);
    let mut random = Generator(5);
    let priority: Vec<f64> = cells
        .iter()
        .map(|c| (c.len() * 20) as f64 + random.below(15) as f64)
        .collect();
    let mut status = vec![CellStatus::Candidate; cells.len()];
    for _ in 0..4 {
        status[random.below(cells.len() as u64) as usize] = CellStatus::Primary;
    }
    let hidden = suppress(inner_count, &cells, &status, &priority);
    assert!(!hidden.is_empty());
    assert_protected(inner_count, &cells, &status, &hidden);
    assert_each_secondary_needed(inner_count, &cells, &status, &hidden);
}

/// About 2,000 cells: prefecture × age band with both margins, and a 3-way CUBE, each with
/// 100 primary cells (the smallest counts), checked exactly against the oracle.
#[test]
fn two_thousand_cells_are_protected() {
    for (sizes, seed) in [(vec![47, 40], 3), (vec![12, 8, 15], 4)] {
        let mut random = Generator(seed);
        let inner_counts: Vec<u64> = (0..sizes.iter().product()).map(|_| 1 + random.below(200)).collect();
        let (inner_count, cells, kept, priority) = counted(&sizes, &inner_counts);
        let all_kept = (1 << sizes.len()) - 1;
        let mut by_count: Vec<usize> = (0..cells.len()).filter(|&j| kept[j] == all_kept).collect();
        by_count.sort_by(|&a, &b| priority[a].total_cmp(&priority[b]).then(a.cmp(&b)));
        let mut status = vec![CellStatus::Candidate; cells.len()];
        for &j in &by_count[..100] {
            status[j] = CellStatus::Primary;
        }
        assert!(cells.len() > 1_800, "{} cells", cells.len());

        let hidden = suppress(inner_count, &cells, &status, &priority);
        assert!(!hidden.is_empty());
        assert_protected(inner_count, &cells, &status, &hidden);
        // Necessity of a spread of the secondary cells (all of them would take a while).
        for &secondary in hidden.iter().step_by(hidden.len().div_ceil(8)) {
            assert_needed(inner_count, &cells, &status, &hidden, secondary);
        }
        assert_eq!(
            suppress(inner_count, &cells, &status, &priority),
            hidden,
            "deterministic"
        );
    }
}
