//! A disclosure policy read from TOML: no panic, an accepted policy is valid and survives
//! being written back and read again, and a refusal names a field the policy has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei_disclosure::{Policy, PolicyError};

const FIELDS: [&str; 9] = [
    "version",
    "min_persons",
    "min_entities",
    "dominance_n",
    "dominance_k_percent",
    "p_percent",
    "rounding_base",
    "show_zero_cells",
    "show_hidden_rows",
];

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    match Policy::from_toml_str(text) {
        Ok(policy) => {
            assert!(policy.validate().is_ok());
            let written = policy.to_toml_string();
            let again = Policy::from_toml_str(&written).expect("a written policy reads back");
            assert_eq!(again, policy, "policy changed through TOML: {written}");
        }
        Err(PolicyError::Invalid { field, .. }) => assert!(FIELDS.contains(&field), "unknown field {field}"),
        Err(PolicyError::Syntax(_)) => {}
    }
});
