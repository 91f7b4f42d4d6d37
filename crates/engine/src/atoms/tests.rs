//! The atoms aggregates on hand-made rows, whole and through partial states.

use super::*;

fn lists(a: &ArrayRef) -> Vec<Vec<u64>> {
    let l = a.as_list::<i32>();
    (0..l.len())
        .map(|r| l.value(r).as_primitive::<UInt64Type>().values().to_vec())
        .collect()
}

/// Person 1 has rows of signatures 0b01 and 0b11, person 2 one of 0b01, person 3 one
/// that feeds nothing.
fn input() -> Vec<ArrayRef> {
    vec![
        Arc::new(UInt64Array::from(vec![1, 1, 2, 3])),
        Arc::new(UInt64Array::from(vec![0b01, 0b11, 0b01, 0])),
    ]
}

#[test]
fn repeated_persons_are_those_whose_rows_and_person_differ() {
    // Person 1: two rows in the row count and the person count (3 = 0b11, twice);
    // person 2: one row in both; person 3: a row in the person count only (0b01).
    let input: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(vec![1, 1, 2, 3])),
        Arc::new(UInt64Array::from(vec![0b11, 0b11, 0b11, 0b01])),
    ];
    let mut repeats = Cells {
        kind: Atoms::Repeats,
        cells: vec![],
    };
    repeats.update_batch(&input, &[0, 0, 0, 0], None, 1).expect("update");
    let counts = |a: ArrayRef| a.as_primitive::<UInt64Type>().values().to_vec();
    assert_eq!(counts(repeats.evaluate(EmitTo::All).expect("evaluate")), vec![2]);
    // Merged from two partial states, one row each of person 1: still two rows.
    let (first, second): (Vec<ArrayRef>, Vec<ArrayRef>) = (
        input.iter().map(|a| a.slice(0, 1)).collect(),
        input.iter().map(|a| a.slice(1, 3)).collect(),
    );
    let mut last = Cells {
        kind: Atoms::Repeats,
        cells: vec![],
    };
    for part in [first, second] {
        let mut partial = Cells {
            kind: Atoms::Repeats,
            cells: vec![],
        };
        partial
            .update_batch(&part, &vec![0; part[0].len()], None, 1)
            .expect("update");
        last.merge_batch(&partial.state(EmitTo::All).expect("state"), &[0], 1)
            .expect("merge");
    }
    assert_eq!(counts(last.evaluate(EmitTo::All).expect("evaluate")), vec![2]);
}

#[test]
fn repeated_records_are_persons_with_other_than_one_record() {
    let record = |r: u64| (r << 2) | Records::RECORD | Records::PERSON;
    // Person 1: record 7 on two rows (one record); person 2: records 7 and 8 (the record
    // number is per key, not per person); person 3: in the person count, no record.
    let input: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(vec![1, 1, 2, 2, 3])),
        Arc::new(UInt64Array::from(vec![
            record(7),
            record(7),
            record(7),
            record(8),
            Records::PERSON,
        ])),
    ];
    let counts = |a: ArrayRef| a.as_primitive::<UInt64Type>().values().to_vec();
    let mut whole = Cells {
        kind: Atoms::RepeatedRecords,
        cells: vec![],
    };
    whole.update_batch(&input, &[0; 5], None, 1).expect("update");
    assert_eq!(counts(whole.evaluate(EmitTo::All).expect("evaluate")), vec![2]);
    // Row by row through partial states: person 1's record twice is still one record.
    assert_eq!(row_by_row(Atoms::RepeatedRecords, &input), vec![2]);
}

/// `input` through one partial state per row, merged: what a partitioned plan computes.
fn row_by_row(kind: Atoms, input: &[ArrayRef]) -> Vec<u64> {
    let mut last = Cells { kind, cells: vec![] };
    for row in 0..input[0].len() {
        let part: Vec<ArrayRef> = input.iter().map(|a| a.slice(row, 1)).collect();
        let mut partial = Cells { kind, cells: vec![] };
        partial.update_batch(&part, &[0], None, 1).expect("update");
        last.merge_batch(&partial.state(EmitTo::All).expect("state"), &[0], 1)
            .expect("merge");
    }
    let out = last.evaluate(EmitTo::All).expect("evaluate");
    out.as_primitive::<UInt64Type>().values().to_vec()
}

#[test]
fn repeated_rows_are_the_persons_of_records_with_other_than_one_row() {
    let flags = |person: u64, in_records: u64, rows: u64| (person << 3) | in_records | (rows << 1);
    // Record 10 (person 1): two rows; record 11 (person 1): one row, in both counts;
    // record 20 (person 2): one row in both; record 30 (person 3): in the record count
    // only; record 40 (person 3): one row, no record (the row count only).
    let input: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(vec![10, 10, 11, 20, 30, 40])),
        Arc::new(UInt64Array::from(vec![
            flags(1, 1, 1),
            flags(1, 1, 1),
            flags(1, 1, 1),
            flags(2, 1, 1),
            flags(3, 1, 0),
            flags(3, 0, 1),
        ])),
    ];
    // Persons 1 and 3, through partial states row by row.
    assert_eq!(row_by_row(Atoms::RepeatedRows, &input), vec![2]);
}

#[test]
fn rows_and_persons_make_different_atoms() {
    let mut rows = Cells {
        kind: Atoms::Rows,
        cells: vec![],
    };
    rows.update_batch(&input(), &[0, 0, 0, 0], None, 1).expect("update");
    // Signature 0b01: persons 1 and 2; 0b11: person 1.
    assert_eq!(
        lists(&rows.evaluate(EmitTo::All).expect("evaluate")),
        vec![vec![0b01, 2, 0b11, 1]]
    );

    let mut persons = Cells {
        kind: Atoms::Persons,
        cells: vec![],
    };
    persons.update_batch(&input(), &[0, 0, 0, 0], None, 1).expect("update");
    // Person 1's rows together: 0b11; person 2: 0b01.
    assert_eq!(
        lists(&persons.evaluate(EmitTo::All).expect("evaluate")),
        vec![vec![0b01, 1, 0b11, 1]]
    );

    // Through a partial state, the same.
    let mut partial = Cells {
        kind: Atoms::Persons,
        cells: vec![],
    };
    partial.update_batch(&input(), &[0, 0, 0, 0], None, 1).expect("update");
    let state = partial.state(EmitTo::All).expect("state");
    let mut last = Cells {
        kind: Atoms::Persons,
        cells: vec![],
    };
    last.merge_batch(&state, &[0], 1).expect("merge");
    assert_eq!(
        lists(&last.evaluate(EmitTo::All).expect("evaluate")),
        vec![vec![0b01, 1, 0b11, 1]]
    );
}
