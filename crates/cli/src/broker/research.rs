//! A researcher's commands: `renkei request submit | list | status | fetch`.

use super::{Client, ClientArgs, print_every_page, print_request, state_name, status_error};
use crate::query::write_parquet;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use datafusion::arrow::ipc::reader::StreamReader;
use renkei_proto::v1 as pb;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum RequestCommand {
    /// Submits a request; it is checked at once. A refused query exits 3 with `refused: …`.
    Submit {
        #[command(flatten)]
        client: ClientArgs,
        /// The project the request is made under.
        #[arg(long)]
        project: String,
        /// The request's title.
        #[arg(long)]
        title: String,
        /// What the result is for, within the project's approved purpose.
        #[arg(long)]
        purpose: String,
        /// The query's SQL text.
        #[arg(long, conflicts_with = "named_query", required_unless_present = "named_query")]
        sql: Option<String>,
        /// A study query of the server's queries/ folder, without `.sql`.
        #[arg(long)]
        named_query: Option<String>,
    },
    /// The requests of your projects.
    List {
        #[command(flatten)]
        client: ClientArgs,
        /// Only this project's requests.
        #[arg(long)]
        project: Option<String>,
    },
    /// One request.
    Status {
        #[command(flatten)]
        client: ClientArgs,
        /// The request's number.
        id: u64,
    },
    /// Writes a released result to FILE.parquet or FILE.csv (hidden cells null / `*`).
    Fetch {
        #[command(flatten)]
        client: ClientArgs,
        /// The request's number.
        id: u64,
        /// The file to write, FILE.parquet or FILE.csv (replaced whole if it exists).
        #[arg(long)]
        out: PathBuf,
        /// Also write the disclosure report (JSON) here.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

pub fn request(command: RequestCommand) -> Result<()> {
    crate::runtime()?.block_on(async {
        match command {
            RequestCommand::Submit {
                client,
                project,
                title,
                purpose,
                sql,
                named_query,
            } => {
                let client = Client::connect(&client).await?;
                let query = match (sql, named_query) {
                    (Some(sql), _) => pb::submit_request_request::Query::Sql(sql),
                    (None, Some(name)) => pb::submit_request_request::Query::NamedQuery(name),
                    (None, None) => bail!("give --sql or --named-query"),
                };
                let r = client
                    .research()
                    .submit_request(client.request(pb::SubmitRequestRequest {
                        project_id: project,
                        title,
                        purpose,
                        query: Some(query),
                    }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                // The id alone on stdout, for scripts; the state on stderr.
                println!("{}", r.id);
                eprintln!("request {} is {}", r.id, state_name(&r));
            }
            RequestCommand::List { client, project } => {
                let client = Client::connect(&client).await?;
                let project_id = project.unwrap_or_default();
                print_every_page("no requests", |after_id| {
                    let message = pb::ListRequestsRequest {
                        project_id: project_id.clone(),
                        after_id,
                        ..Default::default()
                    };
                    let mut research = client.research();
                    let request = client.request(message);
                    async move { research.list_requests(request).await }
                })
                .await?;
            }
            RequestCommand::Status { client, id } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .research()
                    .get_request(client.request(pb::GetRequestRequest { id }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                print_request(&r);
            }
            RequestCommand::Fetch {
                client,
                id,
                out,
                report,
            } => {
                let client = Client::connect(&client).await?;
                fetch(&client, id, &out, report.as_deref()).await?;
            }
        }
        Ok(())
    })
}

/// Streams a released result and writes it as Parquet or CSV, chosen by `out`'s extension.
pub(super) async fn fetch(client: &Client, id: u64, out: &Path, report: Option<&Path>) -> Result<()> {
    let csv = match out.extension().and_then(|e| e.to_str()) {
        Some("csv") => true,
        Some("parquet") => false,
        _ => bail!("--out must end in .parquet or .csv"),
    };
    let mut stream = client
        .research()
        .fetch_result(client.request(pb::FetchResultRequest { id }))
        .await
        .map_err(status_error)?
        .into_inner();
    let mut ipc_stream = Vec::new();
    let mut report_json = None;
    while let Some(message) = stream.message().await.map_err(status_error)? {
        match message.part {
            Some(pb::fetch_result_response::Part::Header(h)) => {
                ipc_stream.extend_from_slice(&h.arrow_schema);
                report_json = Some(h.report_json);
            }
            Some(pb::fetch_result_response::Part::ArrowBatch(bytes)) => ipc_stream.extend_from_slice(&bytes),
            None => bail!("the broker sent an empty message"),
        }
    }
    let report_json = report_json.context("the broker sent no header")?;
    let reader = StreamReader::try_new(ipc_stream.as_slice(), None).context("reading the result's Arrow IPC")?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .context("reading the result's Arrow IPC")?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if csv {
        // The engine's CSV, as every other door writes it (formulas neutralized).
        let output = renkei_engine::CheckedOutput {
            schema,
            batches,
            report: renkei_disclosure::Report::from_json(&report_json)
                .context("reading the result's disclosure report")?,
            released: Vec::new(),
            history_conflicts: Vec::new(),
        };
        crate::out_file::write(out, output.to_csv()?.as_bytes())?;
    } else {
        write_parquet(&schema, &batches, out)?;
    }
    if let Some(path) = report {
        crate::out_file::write(path, report_json.as_bytes())?;
    }
    eprintln!("wrote {rows} rows of request {id} to {}", out.display());
    Ok(())
}
