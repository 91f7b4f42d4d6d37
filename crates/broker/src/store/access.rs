//! Which requests a caller may see, read in one go on the store (see `Broker::db`).

use super::{RequestRecord, Store};
use crate::auth::{Caller, Role};
use crate::error::BrokerError;

impl Store {
    /// The request, if `caller` is a member of its project; to anyone else it does not exist.
    pub(crate) fn visible_request(&self, caller: &Caller, id: i64) -> Result<RequestRecord, BrokerError> {
        let r = self.request(id)?;
        if !self.is_member(&caller.user, &r.project_id)? {
            return Err(BrokerError::NotFound(format!("request {id}")));
        }
        Ok(r)
    }

    /// The request, if `caller` is a steward assigned to its project; to any other steward
    /// it does not exist.
    pub(crate) fn assigned_request(&self, caller: &Caller, id: i64) -> Result<RequestRecord, BrokerError> {
        caller.require(&[Role::Steward])?;
        let request = self.request(id)?;
        if !self.is_assigned(&caller.user, &request.project_id)? {
            return Err(BrokerError::NotFound(format!("request {id}")));
        }
        Ok(request)
    }

    /// Records a successful call that changed nothing, in its own transaction.
    pub(crate) fn record_read(
        &mut self,
        caller: &Caller,
        action: &str,
        request_id: Option<i64>,
        result_hash: Option<String>,
    ) -> Result<(), BrokerError> {
        self.record(&super::read_event(caller, action, request_id, result_hash))
    }
}
