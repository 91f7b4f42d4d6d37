//! A data steward's commands: `renkei steward pending | review | approve | reject | release`.

use super::{Client, ClientArgs, print_every_page, print_request, printable, state_name, status_error};
use anyhow::Result;
use clap::Subcommand;
use renkei_proto::v1 as pb;

#[derive(Subcommand)]
pub enum StewardCommand {
    /// Requests waiting for review (checked) or release (approved).
    Pending {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// A request's query, requester, checked output and disclosure report.
    Review {
        #[command(flatten)]
        client: ClientArgs,
        /// The request's number.
        id: u64,
    },
    /// Approves the checked output `steward review` showed, named by its hash.
    Approve {
        #[command(flatten)]
        client: ClientArgs,
        /// The request's number.
        id: u64,
        /// The output hash `steward review` printed: if the output changed since (a re-check
        /// sent it back to review), the approval is refused.
        #[arg(long)]
        output_hash: String,
    },
    /// Rejects a request, saying why (the researcher sees the reason).
    Reject {
        #[command(flatten)]
        client: ClientArgs,
        /// The request's number.
        id: u64,
        /// Why it is rejected.
        #[arg(long)]
        reason: String,
    },
    /// Re-runs and re-checks the query under the current policy and releases that output.
    Release {
        #[command(flatten)]
        client: ClientArgs,
        /// The request's number.
        id: u64,
    },
}

pub fn steward(command: StewardCommand) -> Result<()> {
    crate::runtime()?.block_on(async {
        match command {
            StewardCommand::Pending { client } => {
                let client = Client::connect(&client).await?;
                print_every_page("no pending requests", |after_id| {
                    let mut steward = client.steward();
                    let request = client.request(pb::ListPendingRequest {
                        after_id,
                        ..Default::default()
                    });
                    async move { steward.list_pending(request).await }
                })
                .await?;
            }
            StewardCommand::Review { client, id } => {
                let client = Client::connect(&client).await?;
                let review = client
                    .steward()
                    .get_review(client.request(pb::GetReviewRequest { id }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                if let Some(r) = &review.request {
                    print_request(r);
                }
                println!(
                    "\nchecked output (hidden cells *):\n{}",
                    printable(&review.checked_table)
                );
                println!("disclosure report:\n{}", review.report_json);
                if !review.history_conflicts.is_empty() {
                    println!("hidden by the release ledger (steward only):");
                    for c in &review.history_conflicts {
                        println!("  {}", c.text);
                    }
                }
                println!(
                    "output hash: {} (to approve this output: renkei steward approve {id} --output-hash {})",
                    review.output_hash, review.output_hash
                );
            }
            StewardCommand::Approve {
                client,
                id,
                output_hash,
            } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .steward()
                    .approve(client.request(pb::ApproveRequest { id, output_hash }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                eprintln!("request {} is {}", r.id, state_name(&r));
            }
            StewardCommand::Reject { client, id, reason } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .steward()
                    .reject(client.request(pb::RejectRequest { id, reason }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                eprintln!("request {} is {}", r.id, state_name(&r));
            }
            StewardCommand::Release { client, id } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .steward()
                    .release(client.request(pb::ReleaseRequest { id }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                eprintln!("request {} is {} (result {})", r.id, state_name(&r), r.result_hash);
            }
        }
        Ok(())
    })
}
