//! End-to-end tests: they run the `renkei` binary as a user would. One test binary (Cargo
//! links it once); each concern a module.

mod pipeline;
