//! The broker's wire API: messages and service stubs (client and server) generated from
//! `proto/renkei/v1/*.proto` at build time.

/// Package `renkei.v1`.
pub mod v1 {
    tonic::include_proto!("renkei.v1");
}
