//! The engine's errors, mapped once from DataFusion's at this boundary.

use datafusion::error::DataFusionError;

/// Why a query was refused by disclosure control.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Disclosure control refused the query; the reason names the construct.
    #[error("refused: {0}")]
    Refused(String),
    /// The SQL is invalid (syntax, unknown table or column, types). Planning reads no data,
    /// so the message quotes only the query.
    #[error("invalid query: {0}")]
    Invalid(String),
    /// Execution failed. Its message could quote a data value (a failed cast names the
    /// string), so only the kind of failure is kept.
    #[error("the query failed during execution ({0})")]
    Execution(&'static str),
    #[error("warehouse: {0}")]
    Warehouse(String),
}

fn refusal(e: &DataFusionError) -> Option<String> {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    loop {
        if let Some(r) = cur.downcast_ref::<Refusal>() {
            return Some(r.0.clone());
        }
        if let Some(DataFusionError::External(inner)) = cur.downcast_ref::<DataFusionError>()
            && let Some(r) = inner.downcast_ref::<Refusal>()
        {
            return Some(r.0.clone());
        }
        cur = cur.source()?;
    }
}

/// The kind of a failed execution that ran out of the memory pool or of spill disk.
const OUT_OF_RESOURCES: &str = "out of memory or disk";

impl EngineError {
    /// Whether the query failed for want of memory or spill disk: it may run when fewer
    /// queries share the pool, and is not a verdict on the query.
    pub fn out_of_resources(&self) -> bool {
        matches!(self, EngineError::Execution(kind) if *kind == OUT_OF_RESOURCES)
    }

    /// An error while planning: a refusal, or an invalid query.
    pub fn from_planning(e: DataFusionError) -> EngineError {
        if let Some(reason) = refusal(&e) {
            return EngineError::Refused(reason);
        }
        EngineError::Invalid(e.find_root().to_string())
    }

    /// As [`EngineError::from_planning`], with the two errors a query's author meets most in
    /// their terms, not DataFusion's: a parse error without its Rust debug wrapping, and an
    /// unknown table with the tables `tables` the caller may use (their grant).
    pub fn from_planning_for(e: DataFusionError, tables: &[String]) -> EngineError {
        use datafusion::sql::sqlparser::parser::ParserError;
        let message = match e.find_root() {
            DataFusionError::SQL(parse, _) => match parse.as_ref() {
                ParserError::ParserError(m) | ParserError::TokenizerError(m) => {
                    format!("the SQL does not parse: {m}")
                }
                ParserError::RecursionLimitExceeded => "the SQL is nested too deeply".to_string(),
            },
            DataFusionError::Plan(m) => match m.strip_prefix("table '").and_then(|t| t.strip_suffix("' not found")) {
                Some(name) => {
                    // DataFusion names it in full (datafusion.public.x); the author wrote x.
                    let name = name.rsplit('.').next().unwrap_or(name);
                    format!(
                        "there is no table {name}; the tables you may use: {}",
                        tables.join(", ")
                    )
                }
                None => return EngineError::from_planning(e),
            },
            _ => return EngineError::from_planning(e),
        };
        if let Some(reason) = refusal(&e) {
            return EngineError::Refused(reason);
        }
        EngineError::Invalid(message)
    }

    /// An error while executing: refusals pass, anything else is reduced to its kind.
    pub fn from_execution(e: DataFusionError) -> EngineError {
        if let Some(reason) = refusal(&e) {
            return EngineError::Refused(reason);
        }
        EngineError::Execution(match e.find_root() {
            DataFusionError::ArrowError(..) => "arithmetic, cast or format error",
            DataFusionError::ResourcesExhausted(_) => OUT_OF_RESOURCES,
            DataFusionError::IoError(_) | DataFusionError::ObjectStore(_) => "reading the warehouse",
            DataFusionError::ParquetError(_) => "reading the warehouse",
            _ => "execution error",
        })
    }
}
