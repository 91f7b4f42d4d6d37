//! The catalogue's invariants: codes of the real shape, figures from the reference.

use super::*;
use crate::reference::reference;

#[test]
fn codes_have_the_real_shape_and_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for p in PROCEDURES {
        assert!(p.code.len() == 9 && p.code.starts_with('1'), "{}", p.code);
        assert!(seen.insert(p.code));
    }
    for d in DRUGS {
        assert!(d.code.len() == 9 && d.code.starts_with('6'), "{}", d.code);
        assert!(seen.insert(d.code));
    }
    for d in diagnoses() {
        assert_eq!(d.code.len(), 7);
        assert!(seen.insert(d.code.as_str()));
    }
}

#[test]
fn surveyed_figures_are_read_from_the_reference() {
    for c in CHRONIC.iter().chain([&DIALYSIS_CONDITION]) {
        if let Patients::Surveyed(range) = c.patients {
            assert!(reference().patients_thousands(range).is_some(), "{range}");
        }
    }
    assert_eq!(ChronicId::Hypertension.row().patients_thousands(), 15112.0);
}

#[test]
fn drug_points_follow_the_rounding_rule() {
    assert_eq!(drug_points(5.7, 1.0), 1);
    assert_eq!(drug_points(10.1, 3.0), 3);
    assert_eq!(drug_points(15.0, 1.0), 1);
    assert_eq!(drug_points(25.0, 1.0), 2);
    assert_eq!(drug_points(26.0, 1.0), 3);
}
