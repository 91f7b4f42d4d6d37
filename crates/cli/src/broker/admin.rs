//! An administrator's commands (`renkei admin …`) and `renkei audit verify`.

use super::{Client, ClientArgs, StateArgs, status_error};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use renkei_broker::audit::Verification;
use renkei_proto::v1 as pb;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// On an empty data directory: the first admin user and its token (printed once).
    Bootstrap {
        #[command(flatten)]
        state: StateArgs,
        /// The admin user's id.
        #[arg(long, default_value = "admin")]
        user: String,
        /// Days the admin's token is valid.
        #[arg(long, default_value_t = 30)]
        valid_days: i64,
    },
    /// A new project with its approved purpose, granted datasets and approval period.
    ProjectCreate {
        #[command(flatten)]
        client: ClientArgs,
        /// The project's id, e.g. p2026-001.
        #[arg(long)]
        id: String,
        /// The project's title.
        #[arg(long)]
        title: String,
        /// The purpose the project was approved for; every request states its own within it.
        #[arg(long)]
        purpose: String,
        /// Comma-separated: NDB, KAIGO, DPC.
        #[arg(long, value_delimiter = ',', required = true)]
        datasets: Vec<String>,
        /// First day of the approval period, YYYY-MM-DD.
        #[arg(long)]
        start: String,
        /// Last day of the approval period, YYYY-MM-DD.
        #[arg(long)]
        end: String,
    },
    /// A new user with a role and project memberships.
    UserCreate {
        #[command(flatten)]
        client: ClientArgs,
        /// The new user's id.
        #[arg(long)]
        id: String,
        /// researcher, steward, admin or analyst (Flight SQL, checked outputs directly).
        #[arg(long)]
        role: String,
        /// A project the user is a member of (repeatable).
        #[arg(long = "project")]
        projects: Vec<String>,
    },
    /// Assigns a steward to review a project's requests (a steward sees the requests of
    /// assigned projects only).
    StewardAssign {
        #[command(flatten)]
        client: ClientArgs,
        /// The steward's user id.
        #[arg(long)]
        user: String,
        /// The project the steward reviews.
        #[arg(long)]
        project: String,
    },
    /// A new token for a user, printed once on standard output.
    TokenIssue {
        #[command(flatten)]
        client: ClientArgs,
        /// The user the token is for.
        #[arg(long)]
        user: String,
        /// Seconds the token is valid.
        #[arg(long, default_value_t = 30 * 24 * 3600)]
        valid_seconds: u64,
    },
    /// Revokes a token by its id (from token-issue).
    TokenRevoke {
        #[command(flatten)]
        client: ClientArgs,
        /// The token's id, printed by token-issue.
        #[arg(long)]
        token_id: u64,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walks the audit hash chain; exits 1 naming the first broken entry.
    Verify {
        #[command(flatten)]
        state: StateArgs,
    },
}

pub fn admin(command: AdminCommand) -> Result<()> {
    crate::runtime()?.block_on(async {
        match command {
            AdminCommand::Bootstrap {
                state,
                user,
                valid_days,
            } => {
                let seconds = valid_days.saturating_mul(24 * 3600);
                let token = renkei_broker::bootstrap(&state.data, &state.audit_key(), &user, seconds)?;
                eprintln!("created admin user {user}; its token (shown once) follows");
                println!("{}", token.secret);
            }
            AdminCommand::ProjectCreate {
                client,
                id,
                title,
                purpose,
                datasets,
                start,
                end,
            } => {
                let client = Client::connect(&client).await?;
                let datasets = datasets
                    .iter()
                    .map(|d| {
                        pb::Dataset::from_str_name(&format!("DATASET_{}", d.trim().to_ascii_uppercase()))
                            .map(i32::from)
                            .with_context(|| format!("{d} is not a dataset (NDB, KAIGO or DPC)"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let project = pb::Project {
                    id: id.clone(),
                    title,
                    approved_purpose: purpose,
                    datasets,
                    approval_start: start,
                    approval_end: end,
                };
                client
                    .admin()
                    .create_project(client.request(pb::CreateProjectRequest { project: Some(project) }))
                    .await
                    .map_err(status_error)?;
                eprintln!("created project {id}");
            }
            AdminCommand::UserCreate {
                client,
                id,
                role,
                projects,
            } => {
                let client = Client::connect(&client).await?;
                let role = pb::Role::from_str_name(&format!("ROLE_{}", role.to_ascii_uppercase()))
                    .with_context(|| format!("{role} is not a role (researcher, steward, admin or analyst)"))?;
                let user = pb::User {
                    id: id.clone(),
                    role: role.into(),
                    project_ids: projects,
                };
                client
                    .admin()
                    .create_user(client.request(pb::CreateUserRequest { user: Some(user) }))
                    .await
                    .map_err(status_error)?;
                eprintln!("created user {id}");
            }
            AdminCommand::TokenIssue {
                client,
                user,
                valid_seconds,
            } => {
                let client = Client::connect(&client).await?;
                let issued = client
                    .admin()
                    .issue_token(client.request(pb::IssueTokenRequest {
                        user_id: user.clone(),
                        valid_seconds,
                    }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                let expires = chrono::DateTime::from_timestamp(issued.expires_at, 0).map_or_else(
                    || format!("unix time {}", issued.expires_at),
                    |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
                );
                eprintln!(
                    "token {} for {user}, expires {expires}; the token (shown once) follows",
                    issued.token_id
                );
                println!("{}", issued.token);
            }
            AdminCommand::StewardAssign { client, user, project } => {
                let client = Client::connect(&client).await?;
                client
                    .admin()
                    .assign_steward(client.request(pb::AssignStewardRequest {
                        user_id: user.clone(),
                        project_id: project.clone(),
                    }))
                    .await
                    .map_err(status_error)?;
                eprintln!("{user} reviews the requests of project {project}");
            }
            AdminCommand::TokenRevoke { client, token_id } => {
                let client = Client::connect(&client).await?;
                client
                    .admin()
                    .revoke_token(client.request(pb::RevokeTokenRequest { token_id }))
                    .await
                    .map_err(status_error)?;
                eprintln!("revoked token {token_id}");
            }
        }
        Ok(())
    })
}

pub fn audit(command: AuditCommand) -> Result<()> {
    let AuditCommand::Verify { state } = command;
    match renkei_broker::verify_audit(&state.data, &state.audit_key())? {
        Verification::Intact { entries, head } => {
            println!("audit trail intact: {entries} entries; head {head}");
            Ok(())
        }
        Verification::Broken { seq, reason } => bail!("audit entry {seq} is broken: {reason}"),
    }
}
