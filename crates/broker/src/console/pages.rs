//! The console's HTML, rendered on the server with maud: every value is escaped as it is
//! written (`(value)` in a template), so text a researcher typed — a title, a purpose, SQL —
//! is shown as text, never read as markup. No page carries a script.

use super::compare::Comparison;
use crate::audit::Entry;
use crate::conflicts::Conflict;
use crate::store::{Project, RequestRecord, State};
use maud::{DOCTYPE, Markup, html};
use renkei_disclosure::{CellRule, Report};
use renkei_engine::DisplayCell;

/// The frame of every page: title, stylesheet, and who is signed in.
fn page(title: &str, signed_in: Option<(&str, &str)>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Renkei steward console" }
                link rel="stylesheet" href="/assets/console.css";
            }
            body {
                header {
                    a.brand href="/requests" { "Renkei 連携 · steward console" }
                    @if let Some((user, csrf)) = signed_in {
                        form.signout method="post" action="/signout" {
                            span { "Signed in as " strong { (user) } }
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub fn sign_in(csrf: &str, problem: Option<&str>) -> Markup {
    page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            p { "Data stewards sign in with their Renkei token (" code { "renkei admin token-issue" } ")." }
            @if let Some(problem) = problem {
                p.problem role="alert" { (problem) }
            }
            form.signin method="post" action="/signin" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="off" required;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// A page that says a call was refused, and why.
pub fn problem(status: u16, message: &str, signed_in: Option<(&str, &str)>) -> Markup {
    page(
        "Not allowed",
        signed_in,
        html! {
            h1 { "HTTP " (status) }
            p.problem role="alert" { (message) }
            p { a href="/requests" { "Pending requests" } }
        },
    )
}

pub struct PendingFilter<'a> {
    pub project: Option<&'a str>,
    pub older_than_days: Option<u32>,
}

pub fn pending(
    user: &str,
    csrf: &str,
    filter: &PendingFilter,
    requests: &[RequestRecord],
    now: chrono::DateTime<chrono::Utc>,
    next_after: Option<i64>,
) -> Markup {
    page(
        "Pending requests",
        Some((user, csrf)),
        html! {
            h1 { "Pending requests" }
            p { "Checked requests wait for a decision; approved ones wait for release. Oldest first." }
            form.filter method="get" action="/requests" {
                label for="project" { "Project" }
                input #project type="text" name="project" value=(filter.project.unwrap_or(""));
                label for="older_than_days" { "Waiting at least (days)" }
                input #older_than_days type="number" min="0" name="older_than_days"
                    value=(filter.older_than_days.map(|d| d.to_string()).unwrap_or_default());
                button type="submit" { "Filter" }
            }
            @if requests.is_empty() {
                p.empty { "Nothing waits for a steward." }
            } @else {
                table.requests {
                    thead { tr { th { "#" } th { "Project" } th { "Title" } th { "Requester" } th { "State" } th { "Submitted" } th { "Waiting" } } }
                    tbody {
                        @for r in requests {
                            tr {
                                td { a href={ "/requests/" (r.id) } { (r.id) } }
                                td { (r.project_id) }
                                td { a href={ "/requests/" (r.id) } { (r.title) } }
                                td { (r.requester) }
                                td { span class={ "state " (r.state.as_str()) } { (r.state.as_str()) } }
                                td { (r.submitted_at) }
                                td { (waiting(&r.submitted_at, now)) }
                            }
                        }
                    }
                }
                @if let Some(after) = next_after {
                    p { a href={ "/requests?after=" (after) (filter_query(filter)) } { "Next page" } }
                }
            }
        },
    )
}

fn filter_query(filter: &PendingFilter) -> String {
    let mut q = String::new();
    if let Some(p) = filter.project {
        // Project ids are letters, digits, `-`, `_` and `.` (checked before they get here).
        q += &format!("&project={p}");
    }
    if let Some(d) = filter.older_than_days {
        q += &format!("&older_than_days={d}");
    }
    q
}

/// How long a request has waited, in days and hours.
fn waiting(submitted_at: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    match chrono::DateTime::parse_from_rfc3339(submitted_at) {
        Ok(t) => {
            let hours = (now - t.to_utc()).num_hours().max(0);
            format!("{} d {} h", hours / 24, hours % 24)
        }
        Err(_) => String::new(),
    }
}

/// What the review page shows besides the request.
pub struct Review<'a> {
    pub request: &'a RequestRecord,
    pub project: &'a Project,
    /// None for a refused request.
    pub output: Option<ShownOutput<'a>>,
    /// The BLAKE3 of the stored output shown, which an approval names.
    pub output_hash: Option<String>,
    pub earlier: Vec<EarlierRelease<'a>>,
    /// The earlier cells each cell hidden with the rule `history` conflicts with.
    pub conflicts: &'a [Conflict],
    /// Whether the signed-in steward submitted this request (two-person rule).
    pub own_request: bool,
}

/// A checked output as the page shows it: column names, cells, and its report.
pub struct ShownOutput<'a> {
    pub header: Vec<String>,
    pub rows: Vec<Vec<DisplayCell>>,
    pub report: &'a Report,
}

pub struct EarlierRelease<'a> {
    pub request: &'a RequestRecord,
    pub table: &'a str,
    pub comparison: Comparison,
}

/// The words a steward reads for a rule.
pub fn rule_reason(rule: CellRule, report: &Report) -> String {
    let p = &report.policy;
    match rule {
        CellRule::MinPersons => format!(
            "primary: fewer than {} distinct persons behind this cell",
            p.min_persons
        ),
        CellRule::MinEntities => format!(
            "primary: fewer than {} distinct facilities, providers or municipalities behind this cell",
            p.min_entities
        ),
        CellRule::Dominance => format!(
            "dominance: the {} largest contributors make up more than {}% of this total",
            p.dominance_n, p.dominance_k_percent
        ),
        CellRule::PPercent => format!(
            "p% rule: the second-largest contributor could estimate the largest within {}%",
            p.p_percent
        ),
        CellRule::ZeroCell => "zero cell: the policy does not show zeros".to_string(),
        CellRule::Secondary => {
            "secondary: hidden so that a primary-hidden cell cannot be recomputed from totals".to_string()
        }
        CellRule::Difference => format!(
            "difference: it differs from another count of its row by fewer than {} persons",
            p.min_persons
        ),
        CellRule::History => format!(
            "history: with the project's earlier outputs it would give away a count of fewer than {} persons",
            p.min_persons
        ),
    }
}

pub fn review(user: &str, csrf: &str, r: &Review) -> Markup {
    let request = r.request;
    let id = request.id;
    page(
        &format!("Request {id}"),
        Some((user, csrf)),
        html! {
            p.crumbs { a href="/requests" { "Pending requests" } " › request " (id) }
            h1 { "Request " (id) ": " (request.title) }
            dl.facts {
                dt { "State" } dd { span class={ "state " (request.state.as_str()) } #state { (request.state.as_str()) } }
                dt { "Project" } dd { (r.project.id) " — " (r.project.title) }
                dt { "Approved purpose" } dd { (r.project.purpose) }
                dt { "Approval period" } dd { (r.project.approval_start) " to " (r.project.approval_end) }
                dt { "Requester" } dd { (request.requester) }
                dt { "Submitted" } dd { (request.submitted_at) }
                dt { "Stated purpose" } dd #purpose { (request.purpose) }
                @if let Some(reviewer) = &request.reviewer { dt { "Reviewer" } dd { (reviewer) } }
                @if let Some(reason) = &request.rejection_reason { dt { "Rejection reason" } dd { (reason) } }
                @if let Some(releaser) = &request.releaser { dt { "Released by" } dd { (releaser) } }
                @if let Some(hash) = &request.result_hash { dt { "Released result (BLAKE3)" } dd { code { (hash) } } }
                @if let Some(refusal) = &request.refusal { dt { "Refused" } dd { (refusal) } }
            }
            h2 { "Query" }
            pre.sql { code { (request.sql) } }
            @if let Some(ShownOutput { header, rows, report }) = &r.output {
                (report_summary(report))
                h2 { "Checked output" }
                p { "Hidden cells show " span.hidden-sample { "*" } "; point at one or focus it (Tab) to read why it is hidden." }
                (output_table(header, rows, report))
                (history_conflicts(r.conflicts, report))
                p.exports {
                    "Export: "
                    a href={ "/requests/" (id) "/output.csv" } { "CSV" } " · "
                    a href={ "/requests/" (id) "/output.parquet" } { "Parquet" } " · "
                    a href={ "/requests/" (id) "/report.json" } { "disclosure report (JSON)" } " · "
                    a href={ "/requests/" (id) "/acro.json" } { "ACRO results.json" }
                }
            }
            (decision(r, csrf))
            h2 { "Released before in this project" }
            @if r.earlier.is_empty() {
                p.empty { "Nothing of this project has been released yet." }
            }
            @for e in &r.earlier {
                (earlier_release(e))
            }
            p { a href={ "/requests/" (id) "/audit" } { "Audit trail of this request" } }
        },
    )
}

fn report_summary(report: &Report) -> Markup {
    let s = &report.summary;
    let p = &report.policy;
    html! {
        h2 { "Disclosure report" }
        dl.facts.report #report-summary {
            dt { "Status" } dd { span class={ "status " (report.status.name()) } { (report.status.name()) } }
            dt { "Policy" } dd { (p.version) ": at least " (p.min_persons) " persons and " (p.min_entities)
                " facilities per cell; dominance (" (p.dominance_n) ", " (p.dominance_k_percent) "%); p% " (p.p_percent) "%" }
            dt { "Rows released" } dd { (s.rows) }
            dt { "Value cells" } dd { (s.value_cells) }
            dt { "Hidden by a primary rule" } dd #hidden-primary { (s.hidden_primary) }
            dt { "Hidden by secondary suppression" } dd #hidden-secondary { (s.hidden_secondary) }
            @if let Some(base) = s.rounded_to { dt { "Counts rounded to" } dd { (base) } }
            dt { "Query hash (BLAKE3)" } dd { code { (report.query_hash) } }
            @for note in &report.notes { dt { "Note" } dd { (note) } }
        }
    }
}

fn output_table(header: &[String], rows: &[Vec<DisplayCell>], report: &Report) -> Markup {
    html! {
        table.output #output {
            thead { tr { @for h in header { th scope="col" { (h) } } } }
            tbody {
                @for row in rows {
                    tr {
                        @for cell in row {
                            @match cell {
                                DisplayCell::Shown(text) => td { (text) },
                                DisplayCell::Hidden(rule) => {
                                    @let reason = rule_reason(*rule, report);
                                    td.hidden tabindex="0" title=(reason) data-rule=(rule.name()) aria-label={ "hidden: " (reason) } {
                                        "*" span.reason { (reason) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The cells hidden by the release ledger, each with the earlier cells it conflicts with.
fn history_conflicts(conflicts: &[Conflict], report: &Report) -> Markup {
    html! {
        @if !conflicts.is_empty() {
            h3 { "Hidden by the release ledger" }
            p { "With the earlier cells named here, each of these cells would give away a count of fewer than "
                (report.policy.min_persons) " persons. The researcher sees " code { "*" } " and the rule "
                code { "history" } ", not this list." }
            ul.conflicts #history-conflicts {
                @for c in conflicts {
                    li data-row=(c.row) data-column=(c.column) data-found=(c.found) {
                        "Row " (c.row) ", column " strong { (c.column) } " conflicts with "
                        @if c.with.is_empty() { "no cell it could name" }
                        @for (k, w) in c.with.iter().enumerate() {
                            @if k > 0 { "; " }
                            @match w.request() {
                                Some(id) => { a href={ "/requests/" (id) } { "request " (id) } " " (w.place()) },
                                None => (w.text()),
                            }
                        }
                        " (" (c.how()) ")."
                    }
                }
            }
        }
    }
}

fn decision(r: &Review, csrf: &str) -> Markup {
    let id = r.request.id;
    let state = r.request.state;
    let open = matches!(state, State::Checked | State::Approved);
    html! {
        h2 { "Decision" }
        @if !open {
            p { "This request is " (state.as_str()) "; there is nothing to decide." }
        } @else if r.own_request {
            p.problem #two-person { "You submitted this request: another steward must decide on it (two-person rule)." }
        } @else {
            div.decide {
                @if state == State::Checked {
                    form method="post" action={ "/requests/" (id) "/approve" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="output" value=(r.output_hash.as_deref().unwrap_or(""));
                        button #approve type="submit" { "Approve" }
                    }
                }
                @if state == State::Approved {
                    form method="post" action={ "/requests/" (id) "/release" } {
                        input type="hidden" name="csrf" value=(csrf);
                        p { "Release runs the query again under the current policy and releases that run if it shows the same cells." }
                        button #release type="submit" { "Release" }
                    }
                }
                form method="post" action={ "/requests/" (id) "/reject" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="reason" { "Reason for rejecting (shown to the researcher)" }
                    textarea #reason name="reason" required rows="3" {}
                    button #reject type="submit" { "Reject" }
                }
            }
        }
    }
}

fn earlier_release(e: &EarlierRelease) -> Markup {
    let c = &e.comparison;
    html! {
        details.earlier open[!c.close_counts.is_empty()] {
            summary {
                "Request " (e.request.id) ": " (e.request.title)
                @if !c.close_counts.is_empty() { " — " strong.warning { (c.close_counts.len()) " count(s) differ by a small group" } }
            }
            @if !c.close_counts.is_empty() {
                p.warning { "Released together, these differences would describe groups smaller than the threshold:" }
                ul.close {
                    @for cc in &c.close_counts {
                        li { (cc.labels) ", " (cc.column) ": " (cc.this) " here, " (cc.earlier) " released (difference " ((cc.this - cc.earlier).abs()) ")" }
                    }
                }
            }
            p { (c.rows_in_both) " row(s) with the same labels in both." }
            @if !c.columns_added.is_empty() { p { "Columns only here: " (c.columns_added.join(", ")) } }
            @if !c.columns_removed.is_empty() { p { "Columns only there: " (c.columns_removed.join(", ")) } }
            @if !c.sql_added.is_empty() || !c.sql_removed.is_empty() {
                pre.diff {
                    @for l in &c.sql_removed { span.removed { "- " (l) "\n" } }
                    @for l in &c.sql_added { span.added { "+ " (l) "\n" } }
                }
            } @else {
                p { "Same query text." }
            }
            pre.released { (e.table) }
        }
    }
}

pub fn audit_trail(user: &str, csrf: &str, request: &RequestRecord, entries: &[Entry]) -> Markup {
    page(
        &format!("Audit trail of request {}", request.id),
        Some((user, csrf)),
        html! {
            p.crumbs { a href="/requests" { "Pending requests" } " › " a href={ "/requests/" (request.id) } { "request " (request.id) } " › audit trail" }
            h1 { "Audit trail of request " (request.id) }
            p { "Every call about this request, oldest first. Each entry is chained to the one before it; "
                code { "renkei audit verify" } " checks the whole chain." }
            table.audit {
                thead { tr { th { "#" } th { "Time" } th { "User" } th { "Role" } th { "Action" } th { "Outcome" } th { "Result hash" } } }
                tbody {
                    @for e in entries {
                        tr {
                            td { (e.seq) } td { (e.time) } td { (e.event.user) } td { (e.event.role) }
                            td { (e.event.action) } td { (e.event.outcome) }
                            td { code { (e.event.result_hash.as_deref().unwrap_or("")) } }
                        }
                    }
                }
            }
        },
    )
}
