//! The gate in front of the gRPC services: who calls is known before anything they send is
//! decoded, and callers without a token cannot flood the audit trail.

use crate::Broker;
use std::sync::{Arc, Mutex};

/// The gate in front of every gRPC service but health: a call without a valid token is
/// answered UNAUTHENTICATED from its headers alone, before tonic decodes a byte of its
/// messages (an unauthenticated prepared statement once carried an IPC bomb to the decoder).
/// Each handler authenticates again through [`Broker::call`], which also tells who called.
#[derive(Clone)]
pub(crate) struct Gate {
    broker: Arc<Broker>,
    refusals: Arc<Mutex<RefusalRate>>,
}

/// Unauthenticated calls are audited at most [`RefusalRate::PER_SECOND`] a second: each is
/// a synced write, and one client without a token made 1,000 a second (a red-team pass,
/// 1.2 GB of audit an hour, every other call slowed). Beyond the rate they are counted, and
/// the count is audited with the next one recorded.
#[derive(Default)]
struct RefusalRate {
    second: u64,
    recorded: u32,
    unrecorded: u64,
}

impl RefusalRate {
    const PER_SECOND: u32 = 20;

    /// Whether to record this refusal, and how many went unrecorded before it.
    fn admit(&mut self, now: u64) -> Option<u64> {
        if now != self.second {
            self.second = now;
            self.recorded = 0;
        }
        if self.recorded >= Self::PER_SECOND {
            self.unrecorded += 1;
            return None;
        }
        self.recorded += 1;
        Some(std::mem::take(&mut self.unrecorded))
    }
}

impl Gate {
    pub(crate) fn new(broker: Arc<Broker>) -> Gate {
        Gate {
            broker,
            refusals: Arc::default(),
        }
    }
}

impl tonic::service::Interceptor for Gate {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        match self.broker.authenticate(request.metadata()) {
            Ok(_) => Ok(request),
            Err(e) => {
                let second = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let admitted = self
                    .refusals
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .admit(second);
                match admitted {
                    Some(0) => self.broker.record_failure(None, "authenticate", None, &e),
                    Some(n) => self.broker.record_failure(
                        None,
                        &format!("authenticate (and {n} more unauthenticated calls, not recorded one by one)"),
                        None,
                        &e,
                    ),
                    None => {}
                }
                Err(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RefusalRate;

    #[test]
    fn unauthenticated_calls_are_recorded_at_a_bounded_rate_and_the_rest_counted() {
        let mut rate = RefusalRate::default();
        let first_second: Vec<Option<u64>> = (0..25).map(|_| rate.admit(1)).collect();
        assert_eq!(first_second.iter().filter(|a| a.is_some()).count(), 20);
        assert!(first_second[20..].iter().all(Option::is_none));
        // The next second's first record carries the five not recorded.
        assert_eq!(rate.admit(2), Some(5));
        assert_eq!(rate.admit(2), Some(0));
    }
}
