//! The downloads of a review page: the checked output as CSV or Parquet, its disclosure
//! report, and the report in ACRO's JSON form, each a steward's only and audited with the
//! hash of what left.

use super::forms::Export;
use super::{Console, checked, render_failed, stored_output};
use crate::audit;
use crate::error::BrokerError;
use crate::store::{RequestRecord, State, Store};
use axum::extract::{Path, State as Shared};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub(super) async fn export(
    Shared(console): Shared<Arc<Console>>,
    headers: HeaderMap,
    Path((id, name)): Path<(i64, String)>,
) -> Response {
    // Who asks comes first: an anonymous caller learns nothing, not even which names exist.
    let action = Export::parse(&name).map_or("console_export", Export::action);
    let s = match console.steward(&headers, action, Some(id), None).await {
        Ok(s) => s,
        Err(response) => return *response,
    };
    console
        .page(&s, action, Some(id), async {
            let kind = Export::parse(&name).ok_or_else(|| BrokerError::NotFound(format!("export {name}")))?;
            let broker = &console.broker;
            let caller = s.caller.clone();
            let (stored, made_at) = broker
                .db(move |store| {
                    let request = store.assigned_request(&caller, id)?;
                    Ok((stored_output(store, &request)?, output_time(store, &request)?))
                })
                .await?;
            let stored =
                stored.ok_or_else(|| BrokerError::FailedPrecondition(format!("request {id} has no checked output")))?;
            let output = checked(&stored)?;
            let (content_type, extension, body) = match kind {
                Export::Csv => (
                    "text/csv; charset=utf-8",
                    "csv",
                    output.to_csv().map_err(render_failed)?.into_bytes(),
                ),
                Export::Parquet => (
                    "application/vnd.apache.parquet",
                    "parquet",
                    output.to_parquet().map_err(render_failed)?,
                ),
                Export::ReportJson => ("application/json", "report.json", stored.report_json.into_bytes()),
                Export::AcroJson => {
                    let columns: Vec<String> = output.schema.fields().iter().map(|f| f.name().clone()).collect();
                    (
                        "application/json",
                        "acro.json",
                        output.report.to_acro_json(&columns, &made_at).into_bytes(),
                    )
                }
            };
            let result_hash = blake3::hash(&body).to_hex().to_string();
            broker
                .record_read(&s.caller, kind.action(), Some(id), Some(result_hash))
                .await?;
            let disposition = format!("attachment; filename=\"request-{id}.{extension}\"");
            Ok((
                [
                    (CONTENT_TYPE, content_type.to_string()),
                    (CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response())
        })
        .await
}

/// When the shown output was made: its release, else its check (from the audit trail).
fn output_time(store: &Store, request: &RequestRecord) -> Result<String, BrokerError> {
    let entries = audit::entries_of_request(store.connection(), request.id)?;
    let made = |action: &str| {
        entries
            .iter()
            .rev()
            .find(|e| e.event.action == action && matches!(e.event.outcome.as_str(), "ok" | "checked"))
            .map(|e| e.time.clone())
    };
    Ok(match request.state {
        State::Released => made("release"),
        _ => made("check"),
    }
    .unwrap_or_else(|| request.submitted_at.clone()))
}
