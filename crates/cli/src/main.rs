//! `renkei`: the command-line front end. Each subcommand parses its flags and calls one
//! crate; no logic lives here.

mod broker;
mod cluster;
mod ledger_file;
mod logs;
mod out_file;
mod outcome;
mod pki;
mod query;
mod token_file;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use renkei_formats::era::YearMonth;
use renkei_synth::{Churn, Config};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "Linked, pseudonymized research on Japan's NDB, 介護DB and DPC data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a synthetic population as native NDB / 介護DB / DPC files (with ground truth).
    Synth(SynthArgs),
    /// Read a directory of native files back and print what it holds, with the
    /// realism statistics next to their targets.
    Summarize {
        /// Directory written by `renkei synth`.
        dir: PathBuf,
    },
    /// The main job on built-in sample data: generate a population with the sample's seed
    /// and months into DIR/input and summarize it, make a steward key (DIR/steward.key) if
    /// there is none, ingest into DIR/warehouse and measure the linkage. Checked queries come
    /// next.
    Demo {
        /// Where everything goes (made if needed; the input and warehouse are replaced).
        #[arg(long, default_value = "demo-output")]
        out: PathBuf,
        /// Persons in the population; 2000 makes exactly the committed sample-data/, whose
        /// study queries show about a quarter of their cells.
        #[arg(long, default_value_t = DEMO_PERSONS)]
        persons: u64,
        /// Study queries to run, checked, on the demo warehouse (each `.sql` in it) [default:
        /// the queries/ folder of the repository the binary was built in].
        #[arg(long)]
        queries: Option<PathBuf>,
    },
    /// Print docs/formats.md (generated from the record layouts).
    FormatsDoc,
    /// Print docs/warehouse.md (generated from the warehouse table definitions).
    WarehouseDoc,
    /// Make a new 256-bit steward key (file mode 0600; an existing file is never overwritten).
    Keygen {
        /// The key file to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// Make the certificates of TLS and mutual TLS: a private CA, server certificates,
    /// client certificates per user.
    Pki {
        #[command(subcommand)]
        command: pki::PkiCommand,
    },
    /// Pseudonymize and link native files into a Parquet warehouse (published atomically).
    Ingest {
        /// The steward's key file (from `renkei keygen`).
        #[arg(long)]
        key: PathBuf,
        /// Directory holding ndb/, kaigo/, dpc/ and masters/.
        #[arg(long)]
        input: PathBuf,
        /// Warehouse directory to create or replace.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run one SQL query through disclosure control. A refused query exits with status 3
    /// and a message on stderr starting with `refused:`.
    Query(query::QueryArgs),
    /// Run the broker: gRPC services for requests, review, release and administration.
    /// Prints `listening on ADDR` once bound.
    Serve(broker::ServeArgs),
    /// Administer a broker: bootstrap the first admin, create projects and users, issue and
    /// revoke tokens.
    Admin {
        #[command(subcommand)]
        command: broker::AdminCommand,
    },
    /// A researcher's requests on a broker: submit, list, status, fetch.
    Request {
        #[command(subcommand)]
        command: broker::RequestCommand,
    },
    /// A data steward's work on a broker: pending, review, approve, reject, release.
    Steward {
        #[command(subcommand)]
        command: broker::StewardCommand,
    },
    /// The broker's audit trail.
    Audit {
        #[command(subcommand)]
        command: broker::AuditCommand,
    },
    /// Run a node of a DataFusion Ballista cluster for `--cluster` queries (feature
    /// `distributed`).
    #[cfg(feature = "distributed")]
    Cluster {
        #[command(subcommand)]
        command: renkei_cluster::NodeCommand,
    },
    /// Measure a warehouse's linkage against the ground truth of synthetic input.
    LinkageReport {
        /// The warehouse written by `renkei ingest`.
        #[arg(long)]
        warehouse: PathBuf,
        /// The `renkei synth` output that was ingested (its truth/ is read).
        #[arg(long)]
        input: PathBuf,
    },
}

#[derive(clap::Args)]
struct SynthArgs {
    /// Number of persons.
    #[arg(long)]
    persons: u64,
    /// Seed; the same seed gives byte-identical output.
    #[arg(long)]
    seed: u64,
    /// Output directory (new, empty, or an earlier synth output to replace).
    #[arg(long)]
    out: PathBuf,
    /// First service month, YYYY-MM.
    #[arg(long, default_value = "2022-04", value_parser = parse_month)]
    from: YearMonth,
    /// Last service month, YYYY-MM.
    #[arg(long, default_value = "2024-03", value_parser = parse_month)]
    to: YearMonth,
    /// Chance that a record or file is spoilt on purpose (0 for clean data).
    #[arg(long, default_value_t = 0.001)]
    defects: f64,
    /// Job changes per person-year (ages 20–64).
    #[arg(long, default_value_t = Churn::default().insurer_change_per_year)]
    insurer_change_rate: f64,
    /// Marriages with a name change per woman-year (ages 24–38).
    #[arg(long, default_value_t = Churn::default().marriage_per_year)]
    marriage_rate: f64,
    /// Moves to another municipality per person-year.
    #[arg(long, default_value_t = Churn::default().move_per_year)]
    move_rate: f64,
    /// Chance that a facility writes another kanji form of a family name.
    #[arg(long, default_value_t = Churn::default().kanji_variant)]
    kanji_variant_rate: f64,
    /// Share of claims without the insured-number branch (SN record).
    #[arg(long, default_value_t = Churn::default().branch_missing)]
    branch_missing_rate: f64,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Write only these prefectures' persons (JIS codes FIRST-LAST, e.g. 1-13), exactly as
    /// the whole-country run writes them: a population too large for one disk is made and
    /// ingested in groups of prefectures (see bench/prepare --groups).
    #[arg(long, default_value = "1-47", value_parser = parse_prefectures)]
    prefectures: RangeInclusive<u32>,
}

/// The demo's population. With 2,000 persons (the committed sample) the six study queries
/// showed 27 of their 98 value cells, 13 % of the cells of every row the queries make;
/// with 20,000, 111 of 203 (39 % of every row's), the whole demo in 5 to 7 s (a debug build;
/// less in release). More persons show no more: 50,000 showed 105 of 207,
/// 200,000 142 of 256, the rest being groups small at any size (ages under 65 in care,
/// hip fractures by prefecture) and the cells that would give them away.
const DEMO_PERSONS: u64 = 20_000;

fn parse_month(s: &str) -> Result<YearMonth, String> {
    YearMonth::parse_dashed(s).ok_or_else(|| format!("{s:?} is not a month in YYYY-MM form"))
}

fn parse_prefectures(s: &str) -> Result<RangeInclusive<u32>, String> {
    let bad = || format!("{s:?} is not a range of prefecture codes like 1-13");
    let (first, last) = s.split_once('-').ok_or_else(bad)?;
    Ok(first.parse().map_err(|_| bad())?..=last.parse().map_err(|_| bad())?)
}

fn rate(name: &str, v: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&v) {
        bail!("--{name} must be between 0 and 1, got {v}");
    }
    Ok(v)
}

fn synth(config: &Config) -> Result<()> {
    let s = renkei_synth::generate(config).with_context(|| format!("renkei synth into {}", config.out.display()))?;
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "wrote {} persons: {} NDB claims, {} 介護 claims, {} DPC cases in {} files ({:.1} MB; {} spoilt on purpose) \
         in {:.1} s — {:.0} persons/s, {:.1} MB/s",
        s.persons,
        s.ndb_claims,
        s.ltc_claims,
        s.dpc_cases,
        s.files,
        s.bytes as f64 / 1e6,
        s.spoilt_files,
        secs,
        s.persons as f64 / secs,
        s.bytes as f64 / 1e6 / secs,
    );
    Ok(())
}

fn summarize(dir: &std::path::Path) -> Result<()> {
    let report = renkei_synth::stats::summarize(dir).with_context(|| format!("summarizing {}", dir.display()))?;
    print!("{report}");
    Ok(())
}

fn ingest(key: &std::path::Path, input: &std::path::Path, out: &std::path::Path) -> Result<()> {
    let key = renkei_pseudonymize::Key::read_file(key)?;
    let options = renkei_ingest::Options {
        input: input.to_path_buf(),
        out: out.to_path_buf(),
        progress: true,
    };
    let report = renkei_ingest::ingest(&key, &options).with_context(|| format!("ingesting {}", input.display()))?;
    let m = &report.manifest;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let (mut records, mut bytes) = (0, 0);
    for (source, c) in &m.sources {
        eprintln!(
            "{source}: {} files ({} rejected), {} records read = {} written + {} quarantined",
            c.files, c.rejected_files, c.read, c.written, c.quarantined
        );
        records += c.read;
        bytes += c.bytes;
    }
    eprintln!(
        "{} persons linked ({} merges refused for sex or birth date, {} name merges for evidence of two persons); \
         warehouse at {} in {:.1} s — {:.0} records/s, {:.1} MB/s",
        m.persons,
        m.refused_merges,
        m.refused_name_merges,
        out.display(),
        secs,
        records as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Synth(a) => {
            let mut config = Config::new(a.persons, a.seed, a.out);
            config.from = a.from;
            config.to = a.to;
            config.defect_rate = rate("defects", a.defects)?;
            config.churn = Churn {
                insurer_change_per_year: rate("insurer-change-rate", a.insurer_change_rate)?,
                marriage_per_year: rate("marriage-rate", a.marriage_rate)?,
                move_per_year: rate("move-rate", a.move_rate)?,
                kanji_variant: rate("kanji-variant-rate", a.kanji_variant_rate)?,
                branch_missing: rate("branch-missing-rate", a.branch_missing_rate)?,
            };
            config.threads = a.threads;
            config.prefectures = a.prefectures;
            config.progress = true;
            synth(&config)
        }
        Command::Summarize { dir } => summarize(&dir),
        Command::Demo { out, persons, queries } => {
            let queries = queries_folder(queries)?;
            let mut config = renkei_synth::sample_config(out.join("input"));
            config.persons = persons;
            config.progress = true;
            synth(&config)?;
            summarize(&config.out)?;
            let key = out.join("steward.key");
            if !key.exists() {
                renkei_pseudonymize::Key::create_file(&key)?;
            }
            let warehouse = out.join("warehouse");
            ingest(&key, &config.out, &warehouse)?;
            println!("\n## Linkage against ground truth");
            print!("{}", renkei_synth::linkage::measure(&warehouse, &config.out)?);
            query::run_study_queries(&warehouse, &queries, &out.join("reports"))?;
            // The linked study query a researcher takes through the broker.
            let request = "dementia_by_care_level";
            if queries.join(format!("{request}.sql")).is_file() {
                broker::demo_request(&warehouse, &queries, &out, request)
            } else {
                println!("\n(no broker request: {request}.sql is not in {})", queries.display());
                Ok(())
            }
        }
        Command::Keygen { out } => {
            renkei_pseudonymize::Key::create_file(&out)?;
            eprintln!(
                "wrote a new key to {} (mode 0600); keep it with the data steward",
                out.display()
            );
            Ok(())
        }
        Command::Ingest { key, input, out } => ingest(&key, &input, &out),
        Command::Pki { command } => Ok(pki::run(command)?),
        Command::LinkageReport { warehouse, input } => {
            print!("{}", renkei_synth::linkage::measure(&warehouse, &input)?);
            Ok(())
        }
        Command::WarehouseDoc => {
            print!("{}", renkei_warehouse::warehouse_document());
            Ok(())
        }
        Command::FormatsDoc => {
            print!("{}", renkei_formats::markdown::formats_document());
            Ok(())
        }
        Command::Query(a) => query::run(a),
        Command::Serve(a) => broker::serve(a),
        Command::Admin { command } => broker::admin(command),
        Command::Request { command } => broker::request(command),
        Command::Steward { command } => broker::steward(command),
        Command::Audit { command } => broker::audit(command),
        #[cfg(feature = "distributed")]
        Command::Cluster { command } => cluster::run(command),
    }
}

/// The runtime every command runs on. Its workers get the stack the engine needs to plan
/// the deepest query it accepts (`renkei_engine::query_size`), with room to spare.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(renkei_engine::query_size::QUERY_STACK_BYTES)
        .build()?)
}

/// The study queries folder: the one given, or the queries/ folder of the repository this
/// binary comes from, looked for beside it (the binary at <repository>/target/<profile>/renkei)
/// and where it was built (a binary built into another target directory). Without either a
/// folder must be given: a server whose named queries all fail "not found" helps no one.
fn queries_folder(given: Option<PathBuf>) -> Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir),
        None => shipped_queries().context(
            "no study queries folder: give --queries DIR (the repository's queries/ is not beside this binary)",
        ),
    }
}

fn shipped_queries() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("queries")));
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
    // A folder named queries is not enough: it must hold the repository's study queries.
    beside
        .into_iter()
        .chain([built])
        .find(|dir| dir.join("dementia_by_care_level.sql").is_file())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => outcome::report(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command under `command` with its path (`renkei steward approve`).
    fn commands(command: &clap::Command, path: String, all: &mut Vec<(String, clap::Command)>) {
        all.push((path.clone(), command.clone()));
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            commands(sub, format!("{path} {}", sub.get_name()), all);
        }
    }

    fn every_command() -> Vec<(String, clap::Command)> {
        let mut all = Vec::new();
        let mut cli = Cli::command();
        cli.build();
        commands(&cli, "renkei".into(), &mut all);
        all
    }

    #[test]
    fn every_command_and_option_has_a_help_line() {
        let mut missing = Vec::new();
        for (path, command) in every_command() {
            if path != "renkei" && command.get_about().is_none() {
                missing.push(path.clone());
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if !matches!(id, "help" | "version") && arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
        }
        assert!(missing.is_empty(), "no help line: {missing:#?}");
    }

    #[test]
    fn help_tells_each_command_and_shows_no_empty_environment_values() {
        for (path, mut command) in every_command() {
            let help = command.render_long_help().to_string();
            assert!(!help.contains("=]"), "{path} shows an empty environment value:\n{help}");
            // The flattened client options once lent their description to commands without one.
            assert!(!help.contains("Where the broker is"), "{path}:\n{help}");
        }
    }
}
