//! The multi-process clusters of these tests: this test binary started again to run only
//! the ignored test [`cluster_node`], with `RENKEI_TEST_CLUSTER_NODE` holding `renkei
//! cluster`'s arguments; it runs that node (the same [`NodeCommand::run`] as `renkei
//! cluster`). A node exits when its standard input closes, so none outlives the test
//! process, however that ends.

use renkei_cluster::NodeCommand;
use renkei_cluster::local::LocalCluster;
use std::io::Read;
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

/// A scheduler and `executors` executors, each its own process, with their work directory.
pub fn start(executors: usize) -> (LocalCluster, tempfile::TempDir) {
    let work = tempfile::tempdir().expect("temp dir");
    let node = |args: &[String]| {
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        command
            .args(["--ignored", "--exact", "nodes::cluster_node", "--nocapture"])
            .env(NODE, args.join("\n"));
        command
    };
    let cluster = LocalCluster::start(node, work.path(), executors).expect("the cluster starts");
    (cluster, work)
}
