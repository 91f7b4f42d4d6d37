//! The broker's wire API: messages and service stubs (client and server) generated from
//! `proto/renkei/v1/*.proto` at build time.

/// Package `renkei.v1`.
pub mod v1 {
    tonic::include_proto!("renkei.v1");
}

/// Most bytes a client takes in one answer of `StewardService.GetReview`, which carries the
/// whole checked output twice (Arrow and text): gRPC's default of 4 MiB fell short of a
/// 92,000-row output (11.9 MB, the end-to-end load test).
pub const MAX_REVIEW_BYTES: usize = 256 * 1024 * 1024;
