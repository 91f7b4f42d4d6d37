//! Checked Flight SQL results waiting for their `DoGet`: each for its caller only, for
//! [`RESULT_TTL`], at most [`MAX_WAITING_RESULTS`] in all, and at most the broker's
//! `flight_results_per_user` bytes (`--flight-results-mib`) per user. Before the byte cap an
//! analyst who ran statements without fetching them could hold 256 results of any size in
//! the broker's memory for ten minutes.

use crate::auth::Caller;
use crate::error::BrokerError;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a checked result waits for its `DoGet`.
pub const RESULT_TTL: Duration = Duration::from_secs(600);
/// Most results waiting at once; beyond it the oldest is dropped (its `DoGet` then fails
/// with NOT_FOUND and the statement can be run again).
const MAX_WAITING_RESULTS: usize = 256;

/// A checked result waiting for its `DoGet`.
pub(super) struct WaitingResult {
    pub(super) user: String,
    pub(super) created: Instant,
    pub(super) schema: SchemaRef,
    pub(super) batches: Vec<RecordBatch>,
    pub(super) result_hash: String,
}

impl WaitingResult {
    /// The bytes its batches hold in memory (Arrow buffers, as allocated).
    fn bytes(&self) -> usize {
        bytes_of(&self.batches)
    }
}

/// The bytes `batches` hold in memory.
pub(super) fn bytes_of(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::get_array_memory_size).sum()
}

pub(super) struct WaitingResults {
    waiting: Mutex<HashMap<String, WaitingResult>>,
    per_user: usize,
}

impl WaitingResults {
    pub(super) fn new(per_user: usize) -> WaitingResults {
        WaitingResults {
            waiting: Mutex::new(HashMap::new()),
            per_user,
        }
    }

    fn waiting(&self) -> MutexGuard<'_, HashMap<String, WaitingResult>> {
        self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Refuses, before it is written to the ledger, a result that could not wait: larger than
    /// a user's whole allowance.
    pub(super) fn admit(&self, bytes: usize) -> Result<(), BrokerError> {
        if bytes > self.per_user {
            return Err(BrokerError::FailedPrecondition(format!(
                "the checked result holds {} KiB, more than the {} KiB of results a user may have \
                 waiting for DoGet; narrow the query (fewer groups or columns)",
                bytes.div_ceil(1024),
                self.per_user / 1024
            )));
        }
        Ok(())
    }

    /// Keeps a result for its `DoGet` under `handle`: expired results go, then the user's
    /// oldest until the new one fits in their allowance, then the oldest of anyone's while
    /// too many wait.
    pub(super) fn keep(&self, handle: String, result: WaitingResult) -> Result<(), BrokerError> {
        let bytes = result.bytes();
        self.admit(bytes)?;
        let mut waiting = self.waiting();
        waiting.retain(|_, r| r.created.elapsed() < RESULT_TTL);
        loop {
            let mine = waiting.values().filter(|r| r.user == result.user);
            let held: usize = mine.clone().map(WaitingResult::bytes).sum();
            if held + bytes <= self.per_user {
                break;
            }
            let oldest = waiting
                .iter()
                .filter(|(_, r)| r.user == result.user)
                .min_by_key(|(_, r)| r.created)
                .map(|(h, _)| h.clone());
            match oldest {
                Some(h) => waiting.remove(&h),
                None => break,
            };
        }
        while waiting.len() >= MAX_WAITING_RESULTS {
            let Some(oldest) = waiting.iter().min_by_key(|(_, r)| r.created).map(|(h, _)| h.clone()) else {
                break;
            };
            waiting.remove(&oldest);
        }
        waiting.insert(handle, result);
        Ok(())
    }

    /// The caller's waiting result, taken: it is sent once.
    pub(super) fn take(&self, caller: &Caller, handle: &[u8]) -> Result<WaitingResult, BrokerError> {
        let not_found = || BrokerError::NotFound("result (run the statement again)".into());
        let handle = std::str::from_utf8(handle).map_err(|_| not_found())?;
        let mut waiting = self.waiting();
        match waiting.get(handle) {
            Some(r) if r.user == caller.user && r.created.elapsed() < RESULT_TTL => {
                waiting.remove(handle).ok_or_else(not_found)
            }
            _ => Err(not_found()),
        }
    }

    /// Bytes waiting for `user`.
    #[cfg(test)]
    fn held_by(&self, user: &str) -> usize {
        self.waiting()
            .values()
            .filter(|r| r.user == user)
            .map(WaitingResult::bytes)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn result(user: &str, rows: i64) -> WaitingResult {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let column = Int64Array::from_iter_values(0..rows);
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(column)]).expect("a batch");
        WaitingResult {
            user: user.into(),
            created: Instant::now(),
            schema,
            batches: vec![batch],
            result_hash: String::new(),
        }
    }

    fn caller(user: &str) -> Caller {
        Caller {
            user: user.into(),
            role: Role::Analyst,
        }
    }

    #[test]
    fn a_user_who_fills_the_allowance_loses_their_oldest_results_and_no_one_elses() {
        let one = result("ito", 1_000).bytes();
        assert!(one >= 8_000, "1,000 Int64 values take {one} bytes");
        let cache = WaitingResults::new(3 * one);
        cache.keep("other".into(), result("sato", 1_000)).expect("kept");
        for n in 0..10 {
            // Ten results in a row, a thousand rows each: the allowance holds three.
            std::thread::sleep(Duration::from_millis(2));
            cache.keep(format!("h{n}"), result("ito", 1_000)).expect("kept");
            assert!(
                cache.held_by("ito") <= 3 * one,
                "after {n}: {} bytes",
                cache.held_by("ito")
            );
        }
        let ito = caller("ito");
        for n in 0..7 {
            let gone = cache.take(&ito, format!("h{n}").as_bytes());
            assert!(matches!(gone, Err(BrokerError::NotFound(_))), "h{n} was evicted");
        }
        for n in 7..10 {
            cache
                .take(&ito, format!("h{n}").as_bytes())
                .expect("the newest three wait");
        }
        // Another user's result is theirs, untouched by ito's, and only theirs to take.
        assert!(cache.take(&ito, b"other").is_err());
        cache.take(&caller("sato"), b"other").expect("sato's result waits");
    }

    #[test]
    fn a_result_larger_than_the_allowance_is_refused() {
        let cache = WaitingResults::new(4 * 1024);
        let big = result("ito", 10_000);
        let refused = cache.keep("big".into(), big);
        assert!(
            matches!(&refused, Err(BrokerError::FailedPrecondition(m)) if m.contains("narrow the query")),
            "{refused:?}"
        );
        assert_eq!(cache.held_by("ito"), 0);
    }
}
