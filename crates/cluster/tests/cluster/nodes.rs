//! The multi-process clusters of these tests: this test binary started again to run only
//! the ignored test [`cluster_node`], with `RENKEI_TEST_CLUSTER_NODE` holding `renkei
//! cluster`'s arguments; it runs that node (the same [`NodeCommand::run`] as `renkei
//! cluster`). A node exits when its standard input closes, so none outlives the test
//! process, however that ends. The nodes speak mutual TLS, with certificates of a CA made
//! for the cluster. (The plain-text cluster of processes is `renkei cluster`'s, in the
//! end-to-end tests.)

use crate::authority::Authority;
use renkei_cluster::local::LocalCluster;
use renkei_cluster::{ClusterPlanner, ClusterTls, ClusterTlsFiles, NodeCommand};
use std::io::Read;
use std::path::Path;
use std::process::Command;

const NODE: &str = "RENKEI_TEST_CLUSTER_NODE";

/// One node of a test cluster, in its own process; never run with the tests.
#[test]
#[ignore = "a cluster node: the tests start it as a process of its own"]
fn cluster_node() {
    let args = std::env::var(NODE).expect("RENKEI_TEST_CLUSTER_NODE holds the node's arguments");
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    let args: Vec<String> = args.split('\n').map(String::from).collect();
    let node = NodeCommand::parse(&args).expect("the node's arguments");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if let Err(e) = runtime.block_on(node.run()) {
        panic!("cluster node {args:?}: {e}");
    }
}

/// A scheduler and executors, each its own process, speaking mutual TLS.
pub struct TlsCluster {
    pub nodes: LocalCluster,
    /// The cluster's CA, which signs the certificates of its nodes and clients.
    pub authority: Authority,
    /// Certificates, keys and the executors' work directories.
    pub dir: tempfile::TempDir,
    /// A client's credentials from the cluster's CA, made once: tests running at once must
    /// not rewrite a certificate file another is reading.
    client: ClusterTls,
}

impl TlsCluster {
    /// A client's credentials from `authority` (a certificate it signs now, written as
    /// `<stem>.pem` and `<stem>.key`, a stem no other test uses) and the cluster's CA.
    pub fn credentials(&self, authority: &Authority, stem: &str) -> ClusterTls {
        credentials(self.dir.path(), authority, stem)
    }

    /// The credentials of a client of this cluster.
    pub fn client(&self) -> ClusterTls {
        self.client.clone()
    }

    /// A planner for this cluster with a client certificate of its CA.
    pub fn planner(&self) -> ClusterPlanner {
        crate::on(&self.nodes.address).with_tls(self.client())
    }
}

fn credentials(dir: &Path, authority: &Authority, stem: &str) -> ClusterTls {
    let (cert, key) = authority.issue(dir, stem, &["analyst.renkei.test"]);
    ClusterTls::from_pem(&read(&dir.join("ca.pem")), &read(&cert), &read(&key))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("reads a PEM file")
}

/// A scheduler and `executors` executors, each its own process, with certificates for
/// 127.0.0.1 from a CA made for them.
pub fn start(executors: usize) -> TlsCluster {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = Authority::new("Renkei test cluster CA");
    let (cert, key) = authority.issue(dir.path(), "node", &["127.0.0.1", "localhost"]);
    let tls = ClusterTlsFiles {
        tls_ca: Some(authority.write(&dir.path().join("ca.pem"))),
        tls_cert: Some(cert),
        tls_key: Some(key),
    };
    let node = |args: &[String]| {
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        command
            .args(["--ignored", "--exact", "nodes::cluster_node", "--nocapture"])
            .env(NODE, args.join("\n"));
        command
    };
    let nodes = LocalCluster::start(node, dir.path(), executors, &tls).expect("the cluster starts");
    let client = credentials(dir.path(), &authority, "client");
    TlsCluster {
        nodes,
        authority,
        dir,
        client,
    }
}
