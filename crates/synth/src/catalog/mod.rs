//! What people are treated for and what they are billed: conditions with their age
//! profiles, and the procedure, drug and long-term-care service masters.
//!
//! Codes have the real structure (7-digit 傷病名コード, 9-digit レセプト電算 codes starting
//! with 1 for procedures and 6 for drugs, 2+4-digit 介護 service codes) but are synthetic;
//! points, prices and units are realistic magnitudes. `masters/*.csv` lists every code.

/// Declares a table and an id enum from one list of `Id => row` entries: an id is its
/// row's position by construction, so code names a row by id, which the compiler checks,
/// and never by a string looked up (and possibly missed) at run time.
macro_rules! table {
    ($(#[$doc:meta])* $table:ident: [$row:ident] by $id:ident { $($variant:ident => $value:expr,)* }) => {
        #[doc = concat!("A row of [`", stringify!($table), "`], which is also its position there.")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $id {
            $($variant,)*
        }

        $(#[$doc])*
        pub static $table: &[$row] = &[$($value,)*];

        impl $id {
            /// Every id, in row order.
            pub const ALL: &[$id] = &[$($id::$variant,)*];

            pub fn row(self) -> &'static $row {
                &$table[self as usize]
            }
        }
    };
}

mod acute;
mod admissions;
mod chronic;
mod diagnoses;
mod drugs;
mod groups;
mod ltc;
mod procedures;

pub use acute::*;
pub use admissions::*;
pub use chronic::*;
pub use diagnoses::*;
pub use drugs::*;
pub use groups::*;
pub use ltc::*;
pub use procedures::*;

#[cfg(test)]
mod tests;
