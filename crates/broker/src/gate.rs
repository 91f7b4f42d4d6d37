//! The gate in front of the gRPC services: who calls is known before anything they send is
//! decoded, and callers without a token cannot flood the audit trail.

use crate::Broker;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::codegen::{Service, http};
use tonic::metadata::MetadataMap;
use tonic::server::NamedService;

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

impl Gate {
    /// `service` behind this gate.
    pub(crate) fn guard<S>(&self, service: S) -> Gated<S> {
        Gated {
            service,
            gate: self.clone(),
        }
    }

    /// Whether the call's headers carry a valid token; a refusal is audited (and logged, under
    /// `service`'s name) at a bounded rate.
    async fn admit(&self, service: &str, metadata: &MetadataMap) -> Result<(), tonic::Status> {
        let Err(e) = self.broker.authenticate(metadata).await else {
            return Ok(());
        };
        let second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let admitted = self
            .refusals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .admit(second);
        if let Some(unrecorded) = admitted {
            crate::logs::unauthenticated(service, unrecorded);
        }
        match admitted {
            Some(0) => self.broker.record_failure(None, "authenticate", None, &e).await,
            Some(n) => {
                let action = format!("authenticate (and {n} more unauthenticated calls, not recorded one by one)");
                self.broker.record_failure(None, &action, None, &e).await;
            }
            None => {}
        }
        Err(e.into())
    }
}

/// A gRPC service behind the gate. Not tonic's interceptor: that one is synchronous, and the
/// token is looked up in the state database, which is reached asynchronously (`Broker::db`).
#[derive(Clone)]
pub(crate) struct Gated<S> {
    service: S,
    gate: Gate,
}

type Call = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

impl<S> Service<http::Request<Body>> for Gated<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Call;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Call {
        // The service polled ready is the one called (tower's rule); a clone takes its place.
        let ready = self.service.clone();
        let mut service = std::mem::replace(&mut self.service, ready);
        let gate = self.gate.clone();
        Box::pin(async move {
            let metadata = MetadataMap::from_headers(request.headers().clone());
            // The service's own name, never the path the client sent.
            match gate.admit(S::NAME, &metadata).await {
                Ok(()) => service.call(request).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

impl<S: NamedService> NamedService for Gated<S> {
    const NAME: &'static str = S::NAME;
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
