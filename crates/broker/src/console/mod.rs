//! The steward review console: server-rendered HTML over HTTP (`renkei serve --http ADDR`),
//! on the same broker state and rules as the gRPC steward service. A steward signs in with
//! their token, sees what waits, reviews a request's checked output with each hidden cell's
//! reason and what the project released before, and approves, rejects or releases it.
//!
//! Defences: session and sign-in cookies are `HttpOnly`, `SameSite=Strict` and, over TLS,
//! `Secure`; every POST carries the session's form token; pages carry no script and a
//! Content-Security-Policy that allows none; every value is escaped by the templates; every
//! page and action is a steward's only (researchers and analysts get 403) and lands in the
//! audit trail. Errors map once, here, from [`BrokerError`] to an HTTP status.

mod compare;
mod export;
mod forms;
mod pages;
mod session;

use crate::audit;
use crate::auth::Caller;
use crate::error::BrokerError;
use crate::steward::Decided;
use crate::store::{self, Page, RequestFilter, RequestRecord, State, Store, StoredOutput};
use crate::{Broker, check_id, ipc};
use axum::Router;
use axum::extract::{Form, Path, Query, State as Shared};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use forms::{ApproveForm, CsrfForm, PendingQuery, RejectForm, SignInForm, cookie, same_token};
use renkei_disclosure::Report;
use renkei_engine::CheckedOutput;
use session::{Gate, SESSION_COOKIE, SESSION_SECONDS, SIGN_IN_COOKIE, Steward, set_cookie};
use std::sync::Arc;

/// No script, no inline style, no frames, forms only to this origin.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";
const STYLESHEET: &str = include_str!("console.css");
/// Earlier releases compared on a review page, newest first.
const EARLIER_SHOWN: usize = 20;

struct Console {
    broker: Arc<Broker>,
    /// Served over TLS: cookies get `Secure`.
    tls: bool,
}

/// Serves the console on `listener` until the process ends.
/// With TLS configured for the broker, the console speaks HTTPS with the same certificate
/// (and the same client CA, if any). Connections are capped and handshaken by `listener`;
/// hyper closes one that has not sent a request's headers within the header timeout, which
/// is also how long a kept-alive connection may stay idle between requests (axum's own
/// `serve` sets no timer, and a connection that sent half its headers stayed open for good).
pub(crate) async fn serve(
    broker: Arc<Broker>,
    tls: Option<&crate::Tls>,
    listener: tokio::net::TcpListener,
) -> Result<(), BrokerError> {
    let limits = broker.config.limits.clone();
    let app = router(Arc::new(Console {
        broker,
        tls: tls.is_some(),
    }));
    let acceptor = tls.map(|t| t.acceptor(crate::tls::ALPN_HTTP1)).transpose()?;
    let mut connections = crate::listener::accept(listener, &limits, acceptor, 0);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    while let Some(connection) = connections.recv().await {
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let serving = http.serve_connection(hyper_util::rt::TokioIo::new(connection), service);
        // A failed connection (the peer went away, a timeout) concerns that peer only.
        tokio::spawn(async move {
            let _ = serving.await;
        });
    }
    Err(BrokerError::Io("the console's listener stopped".into()))
}

fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(|| async { see_other("/requests") }))
        .route("/signin", get(sign_in_page).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/requests", get(pending))
        .route("/requests/{id}", get(review))
        .route("/requests/{id}/approve", post(approve))
        .route("/requests/{id}/reject", post(reject))
        .route("/requests/{id}/release", post(release))
        .route("/requests/{id}/audit", get(audit_trail))
        .route("/requests/{id}/{export}", get(export::export))
        .route("/assets/console.css", get(stylesheet))
        .layer(axum::middleware::map_response_with_state(
            Arc::clone(&console),
            security_headers,
        ))
        .layer(axum::middleware::from_fn(logged))
        .with_state(console)
}

async fn security_headers(Shared(console): Shared<Arc<Console>>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if console.tls {
        // Once over TLS, never again in clear.
        headers.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // Outputs under review must not stay in a shared machine's browser cache.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Logs each console request: method, route, status and duration (`logs::console_call`).
async fn logged(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let timer = crate::logs::Timer::start();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    crate::logs::console_call(&method, &path, response.status().as_u16(), timer.took());
    response
}

async fn stylesheet() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET).into_response()
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

/// A failed console call as the page that says why. The one place errors become statuses.
struct Failure {
    error: BrokerError,
    signed_in: Option<(String, String)>,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = self.error.kind().http_status();
        let signed_in = self.signed_in.as_ref().map(|(u, c)| (u.as_str(), c.as_str()));
        (
            status,
            pages::problem(status.as_u16(), &self.error.to_string(), signed_in),
        )
            .into_response()
    }
}

impl Console {
    /// The signed-in steward, or the response that stands in for the page: to the sign-in
    /// page without a session, a recorded 403 for a signed-in non-steward or a bad form token.
    async fn steward(
        &self,
        headers: &HeaderMap,
        action: &str,
        id: Option<i64>,
        csrf: Option<&str>,
    ) -> Result<Steward, Box<Response>> {
        let gate = match csrf {
            None => self.broker.console_steward(headers).await,
            Some(csrf) => self.broker.console_steward_posting(headers, csrf).await,
        };
        let refused = match gate {
            Ok(steward) => return Ok(steward),
            Err(Gate::SignIn) if csrf.is_none() => {
                let anonymous = BrokerError::Unauthenticated("sign in first");
                self.broker.record_failure(None, action, id, &anonymous).await;
                see_other("/signin")
            }
            Err(Gate::SignIn) => {
                self.fail(None, action, id, BrokerError::Unauthenticated("sign in first"))
                    .await
            }
            Err(Gate::Denied(caller, e)) => self.fail(caller.as_ref(), action, id, e).await,
        };
        Err(Box::new(refused))
    }

    /// Records a failed call in the audit trail and renders it (without the signed-in header:
    /// the caller is not, or not as a steward).
    async fn fail(&self, caller: Option<&Caller>, action: &str, id: Option<i64>, error: BrokerError) -> Response {
        self.record(caller, action, id, &error).await;
        Failure { error, signed_in: None }.into_response()
    }

    async fn record(&self, caller: Option<&Caller>, action: &str, id: Option<i64>, error: &BrokerError) {
        if !error.already_audited() {
            self.broker.record_failure(caller, action, id, error).await;
        }
    }

    /// Runs `step` for a signed-in steward; a failure is recorded and shown.
    async fn page(
        &self,
        s: &Steward,
        action: &str,
        id: Option<i64>,
        step: impl Future<Output = Result<Response, BrokerError>>,
    ) -> Response {
        match step.await {
            Ok(page) => page,
            Err(error) => {
                self.record(Some(&s.caller), action, id, &error).await;
                Failure {
                    error,
                    signed_in: Some((s.caller.user.clone(), s.session.csrf.clone())),
                }
                .into_response()
            }
        }
    }
}

async fn sign_in_page(Shared(console): Shared<Arc<Console>>) -> Response {
    match crate::auth::new_token() {
        Ok(pairing) => (
            [set_cookie(SIGN_IN_COOKIE, &pairing.secret, "/signin", 600, console.tls)],
            pages::sign_in(&pairing.secret, None),
        )
            .into_response(),
        Err(error) => Failure { error, signed_in: None }.into_response(),
    }
}

async fn sign_in(Shared(console): Shared<Arc<Console>>, headers: HeaderMap, Form(form): Form<SignInForm>) -> Response {
    let paired = cookie(&headers, SIGN_IN_COOKIE).is_some_and(|c| !form.csrf.is_empty() && same_token(c, &form.csrf));
    if !paired {
        return console
            .fail(
                None,
                "console_sign_in",
                None,
                BrokerError::PermissionDenied("the sign-in form was not loaded by this browser; load it again".into()),
            )
            .await;
    }
    // A session the browser already had ends here: one browser, one session.
    let replaced = cookie(&headers, SESSION_COOKIE);
    match console.broker.open_console_session(&form.token, replaced).await {
        Ok((secret, _)) => (
            StatusCode::SEE_OTHER,
            [(LOCATION, "/requests".to_string())],
            // Two Set-Cookie headers: appended, as a plain header array would keep only one.
            AppendHeaders([
                set_cookie(SESSION_COOKIE, &secret, "/", SESSION_SECONDS, console.tls),
                set_cookie(SIGN_IN_COOKIE, "", "/signin", 0, console.tls),
            ]),
        )
            .into_response(),
        Err((caller, error)) => {
            // Forbidden: a known user whose role may not sign in; any other failure: no one.
            let status = match error.kind() {
                crate::error::ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            console
                .broker
                .record_failure(caller.as_ref(), "console_sign_in", None, &error)
                .await;
            let message = match &caller {
                Some(c) => format!("{} is a {}: the console is for data stewards", c.user, c.role.as_str()),
                None => format!("that token does not sign anyone in ({error})"),
            };
            (status, pages::sign_in(&form.csrf, Some(&message))).into_response()
        }
    }
}

async fn sign_out(Shared(console): Shared<Arc<Console>>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let s = match console
        .steward(&headers, "console_sign_out", None, Some(&form.csrf))
        .await
    {
        Ok(s) => s,
        Err(response) => return *response,
    };
    let (caller, hash) = (s.caller.clone(), s.session.hash.clone());
    console
        .page(&s, "console_sign_out", None, async {
            console
                .broker
                .db(move |store| store.close_console_session(&caller, &hash))
                .await?;
            Ok((
                StatusCode::SEE_OTHER,
                [
                    (LOCATION, "/signin".to_string()),
                    set_cookie(SESSION_COOKIE, "", "/", 0, console.tls),
                ],
            )
                .into_response())
        })
        .await
}

async fn pending(Shared(console): Shared<Arc<Console>>, headers: HeaderMap, Query(q): Query<PendingQuery>) -> Response {
    let s = match console.steward(&headers, "console_pending", None, None).await {
        Ok(s) => s,
        Err(response) => return *response,
    };
    console
        .page(&s, "console_pending", None, async {
            let project = q.project();
            if let Some(p) = project {
                check_id("project", p)?;
            }
            let now = chrono::Utc::now();
            let before = q.before(now)?;
            let page = Page::new(Page::DEFAULT, q.after.unwrap_or(0));
            let (caller, filtered) = (s.caller.clone(), project.map(str::to_string));
            let (requests, more) = console
                .broker
                .db(move |store| {
                    let filter = RequestFilter::pending(&caller.user, filtered.as_deref(), before.as_deref());
                    let listed = store.requests(&filter, page)?;
                    store.record_read(&caller, "console_pending", None, None)?;
                    Ok(listed)
                })
                .await?;
            let next = if more { requests.last().map(|r| r.id) } else { None };
            let filter = pages::PendingFilter {
                project,
                older_than_days: q.older_than_days,
            };
            Ok(pages::pending(&s.caller.user, &s.session.csrf, &filter, &requests, now, next).into_response())
        })
        .await
}

/// A stored output as the engine's checked output (hidden cells null, its report).
fn checked(output: &StoredOutput) -> Result<CheckedOutput, BrokerError> {
    let (schema, batches) = ipc::decode(&output.arrow)?;
    let report = Report::from_json(&output.report_json)
        .map_err(|_| BrokerError::Arrow("reading a stored disclosure report failed"))?;
    Ok(CheckedOutput {
        schema,
        batches,
        report,
        released: Vec::new(),
        history_conflicts: Vec::new(),
    })
}

/// The request's stored output; none for a request that never had one (refused).
fn stored_output(store: &Store, request: &RequestRecord) -> Result<Option<StoredOutput>, BrokerError> {
    match request.state {
        State::Submitted | State::Refused => Ok(None),
        _ => store.output(request.id).map(Some),
    }
}

fn render_failed(_: renkei_engine::EngineError) -> BrokerError {
    BrokerError::Arrow("rendering the output failed")
}

async fn review(Shared(console): Shared<Arc<Console>>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let s = match console.steward(&headers, "console_review", Some(id), None).await {
        Ok(s) => s,
        Err(response) => return *response,
    };
    console
        .page(&s, "console_review", Some(id), async {
            let broker = &console.broker;
            let caller = s.caller.clone();
            let (request, project, stored, released) = broker
                .db(move |store| {
                    let request = store.assigned_request(&caller, id)?;
                    let project = store.project(&request.project_id)?;
                    let stored = stored_output(store, &request)?;
                    // The project's earlier releases, newest first, each lined up below against
                    // this output.
                    let released = released_before(store, &request)?;
                    Ok((request, project, stored, released))
                })
                .await?;
            let output_hash = stored.as_ref().map(|o| store::output_hash(&o.arrow));
            let conflicts = stored.as_ref().map(|o| o.history_conflicts.clone()).unwrap_or_default();
            let output = stored.map(|o| checked(&o)).transpose()?;
            let mut earlier = Vec::new();
            for (r, stored) in &released {
                let comparison = match &output {
                    Some(this) => compare::compare(
                        &request.sql,
                        this,
                        &r.sql,
                        &checked(stored)?,
                        this.report.policy.min_persons,
                    )
                    .map_err(render_failed)?,
                    None => compare::Comparison::default(),
                };
                earlier.push(pages::EarlierRelease {
                    request: r,
                    table: &stored.table,
                    comparison,
                });
            }
            let shown = match &output {
                Some(o) => Some(pages::ShownOutput {
                    header: o.schema.fields().iter().map(|f| f.name().clone()).collect(),
                    rows: o.display_rows().map_err(render_failed)?,
                    report: &o.report,
                }),
                None => None,
            };
            let view = pages::Review {
                request: &request,
                project: &project,
                output: shown,
                output_hash,
                earlier,
                conflicts: &conflicts,
                own_request: request.requester == s.caller.user,
            };
            let page = pages::review(&s.caller.user, &s.session.csrf, &view).into_response();
            broker.record_read(&s.caller, "console_review", Some(id), None).await?;
            Ok(page)
        })
        .await
}

/// The project's released requests other than `request`, newest first, with their outputs.
fn released_before(store: &Store, request: &RequestRecord) -> Result<Vec<(RequestRecord, StoredOutput)>, BrokerError> {
    let filter = RequestFilter::InStates {
        states: &[State::Released],
        project: Some(&request.project_id),
        submitted_before: None,
        assigned_to: None,
    };
    let mut released = store.all_requests(&filter)?;
    released.retain(|r| r.id != request.id);
    released.reverse();
    released.truncate(EARLIER_SHOWN);
    released
        .into_iter()
        .map(|r| {
            let output = store.output(r.id)?;
            Ok((r, output))
        })
        .collect()
}

async fn approve(
    Shared(console): Shared<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<ApproveForm>,
) -> Response {
    let seen = form.output.trim().to_string();
    decide(&console, &headers, id, "approve", &form.csrf, Decided::Approve { seen }).await
}

async fn reject(
    Shared(console): Shared<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> Response {
    let reason = form.reason.trim().to_string();
    decide(&console, &headers, id, "reject", &form.csrf, Decided::Reject { reason }).await
}

async fn release(
    Shared(console): Shared<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = match console.steward(&headers, "release", Some(id), Some(&form.csrf)).await {
        Ok(s) => s,
        Err(response) => return *response,
    };
    let outcome = console.broker.release(s.caller.clone(), id).await;
    console
        .page(&s, "release", Some(id), async {
            outcome.map(|_| see_other(&format!("/requests/{id}")))
        })
        .await
}

/// Approve or reject, as the gRPC steward service does (the same store step, the same
/// two-person rule, the same audit entries).
async fn decide(
    console: &Console,
    headers: &HeaderMap,
    id: i64,
    action: &str,
    csrf: &str,
    decision: Decided,
) -> Response {
    let s = match console.steward(headers, action, Some(id), Some(csrf)).await {
        Ok(s) => s,
        Err(response) => return *response,
    };
    console
        .page(&s, action, Some(id), async {
            if matches!(&decision, Decided::Reject { reason } if reason.is_empty()) {
                return Err(BrokerError::InvalidArgument("a rejection needs a reason".into()));
            }
            console.broker.decide(s.caller.clone(), id, decision).await?;
            Ok(see_other(&format!("/requests/{id}")))
        })
        .await
}

async fn audit_trail(Shared(console): Shared<Arc<Console>>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let s = match console.steward(&headers, "console_audit", Some(id), None).await {
        Ok(s) => s,
        Err(response) => return *response,
    };
    let caller = s.caller.clone();
    console
        .page(&s, "console_audit", Some(id), async {
            let (request, entries) = console
                .broker
                .db(move |store| {
                    let request = store.assigned_request(&caller, id)?;
                    let entries = audit::entries_of_request(store.connection(), id)?;
                    store.record_read(&caller, "console_audit", Some(id), None)?;
                    Ok((request, entries))
                })
                .await?;
            Ok(pages::audit_trail(&s.caller.user, &s.session.csrf, &request, &entries).into_response())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_script() {
        assert!(CSP.starts_with("default-src 'none'"));
        assert!(!CSP.contains("script-src"), "scripts fall under default-src 'none'");
        assert!(!CSP.contains("unsafe"));
    }

    #[test]
    fn store_times_sort_as_text() {
        // The age filter compares `submitted_at` as text.
        let (_, a) = crate::store::now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let (_, b) = crate::store::now();
        assert!(a < b, "{a} < {b}");
    }
}
