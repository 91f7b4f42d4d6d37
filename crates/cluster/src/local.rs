//! A cluster of separate processes on this machine's loopback ports — one scheduler and
//! some executors — for tests and benchmarks. The caller says how to start one node with
//! `renkei cluster`'s arguments (the `renkei` binary, or a test binary that runs
//! [`NodeCommand::run`](crate::NodeCommand::run) when asked); the processes are killed
//! when the cluster is dropped.

use crate::{ClusterError, ClusterTlsFiles};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalCluster {
    /// The scheduler as `df://127.0.0.1:PORT`.
    pub address: String,
    scheduler: Child,
    executors: Vec<Child>,
    /// Where each executor serves its Arrow Flight service.
    pub executor_addresses: Vec<SocketAddr>,
}

impl LocalCluster {
    /// Starts a scheduler and `executors` executors (one task slot each, shuffle files under
    /// `work`, every node with the credentials `tls` names, if any), and returns once each
    /// listens. `node(args)` is the command that runs one node given `renkei cluster`'s
    /// arguments; its standard input is kept open (a pipe) for as long as the cluster lives.
    pub fn start(
        node: impl Fn(&[String]) -> Command,
        work: &Path,
        executors: usize,
        tls: &ClusterTlsFiles,
    ) -> Result<LocalCluster, ClusterError> {
        let spawn = |mut args: Vec<String>| {
            args.extend(tls.to_args());
            node(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| ClusterError::Local(format!("starting {args:?}: {e}")))
        };
        let scheduler_addr = free_address()?;
        let scheduler = spawn(vec!["scheduler".into(), "--bind".into(), scheduler_addr.to_string()])?;
        let mut cluster = LocalCluster {
            address: format!("df://{scheduler_addr}"),
            scheduler,
            executors: Vec::new(),
            executor_addresses: Vec::new(),
        };
        wait_listening(scheduler_addr)?;
        for i in 0..executors {
            let (bind, grpc) = (free_address()?, free_address()?);
            let args = [
                "executor",
                "--scheduler",
                &scheduler_addr.to_string(),
                "--bind",
                &bind.to_string(),
                "--grpc-port",
                &grpc.port().to_string(),
                "--work-dir",
                &work.join(format!("executor-{i}")).to_string_lossy(),
                "--vcores",
                "1",
            ]
            .map(String::from);
            cluster.executors.push(spawn(args.to_vec())?);
            cluster.executor_addresses.push(bind);
            wait_listening(bind)?;
        }
        Ok(cluster)
    }

    /// Kills executor `i` with SIGKILL (no chance to tell anyone) and waits until it is gone.
    pub fn kill_executor(&mut self, i: usize) -> Result<(), ClusterError> {
        let executor = self
            .executors
            .get_mut(i)
            .ok_or_else(|| ClusterError::Local(format!("no executor {i}")))?;
        // std's Child::kill sends SIGKILL on Unix.
        executor
            .kill()
            .and_then(|()| executor.wait())
            .map(drop)
            .map_err(|e| ClusterError::Local(format!("killing executor {i}: {e}")))
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for node in self.executors.iter_mut().chain(std::iter::once(&mut self.scheduler)) {
            let _ = node.kill();
            let _ = node.wait();
        }
    }
}

/// A loopback address no one listens on now.
fn free_address() -> Result<SocketAddr, ClusterError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| ClusterError::Local(format!("no free loopback port: {e}")))
}

fn wait_listening(addr: SocketAddr) -> Result<(), ClusterError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            return Err(ClusterError::Local(format!("nothing listens on {addr} after 60 s")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
