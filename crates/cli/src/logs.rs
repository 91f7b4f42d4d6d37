//! The broker's logs on standard error (`renkei serve --log LEVEL` / `RENKEI_LOG`): the
//! `tracing` events of the broker only, in tracing-subscriber's plain format. The libraries
//! under it (tonic, hyper, h2, DataFusion) are not listened to: their events are not written
//! for what a health-data operator may see (DataFusion's debug events print plans with the
//! SQL's literals).

use anyhow::Result;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Prints the broker's events at `level` and above to standard error, from now on.
pub fn init(level: LevelFilter) -> Result<()> {
    let only_the_broker = Targets::new().with_target("renkei_broker", level);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .finish()
        .with(only_the_broker)
        .try_init()?;
    Ok(())
}
