//! `renkei cluster scheduler | executor` (feature `distributed`): a scheduler and two
//! executors of the real binary on loopback ports; `renkei query --cluster` and
//! `renkei serve --cluster` give exactly what they give on one machine, and so does a
//! cluster whose nodes speak mutual TLS. (The engine's adversarial tests run on clusters in
//! `renkei-cluster`'s own tests.)

use super::renkei;
use crate::authority::Authority;
use crate::broker::{Server, named, warehouse, world, world_on};
use renkei_cluster::ClusterTlsFiles;
use renkei_cluster::local::LocalCluster;
use renkei_proto::v1 as pb;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A scheduler and two executors of the `renkei` binary, with the credentials `tls` names.
fn start_cluster(work: &Path, tls: &ClusterTlsFiles) -> LocalCluster {
    let node = |args: &[String]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_renkei"));
        command.arg("cluster").args(args);
        command
    };
    LocalCluster::start(node, work, 2, tls).expect("the cluster starts")
}

/// Waits until the executors of the cluster working in `work` hold no file (a finished
/// query's shuffle files are deleted once its rows are fetched); fails after 15 s, naming
/// how many are left.
fn assert_executors_keep_no_files(work: &Path, after: &str) {
    fn files(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| if e.path().is_dir() { files(&e.path()) } else { 1 })
                .sum()
        })
    }
    let executors = || {
        (0..2)
            .map(|i| files(&work.join(format!("executor-{i}"))))
            .sum::<usize>()
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while executors() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} shuffle files left on the executors 15 s after {after}",
            executors()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn study_queries() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
    let mut queries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("queries/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    queries.sort();
    queries
}

/// Exit status, standard output and the report of `renkei query` with `args`.
fn query(args: &[&str], report: &Path) -> (Option<i32>, String, String, String) {
    let warehouse = warehouse().to_str().expect("utf-8 path");
    let mut all = vec![
        "query",
        "--warehouse",
        warehouse,
        "--report",
        report.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    let _ = std::fs::remove_file(report);
    let o = renkei(&all);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        std::fs::read_to_string(report).unwrap_or_default(),
    )
}

#[test]
fn queries_on_a_cluster_of_renkei_processes_equal_one_machine() {
    let work = tempfile::tempdir().expect("temp dir");
    let cluster = start_cluster(work.path(), &ClusterTlsFiles::default());
    let address = cluster.address.clone();
    let report = work.path().join("report.json");
    for q in study_queries() {
        let file = q.to_str().expect("utf-8 path");
        let here = query(&["--file", file, "--format", "csv"], &report);
        assert_eq!(here.0, Some(0), "{file}: {}", here.2);
        let there = query(&["--file", file, "--format", "csv", "--cluster", &address], &report);
        assert_eq!(there, here, "{file} on the cluster");
        assert_executors_keep_no_files(work.path(), file);
    }
    for refused in [
        "SELECT * FROM ndb_claims",
        "SELECT count(*) FROM ndb_claims WHERE person_id = 'x'",
        "EXPLAIN SELECT count(*) FROM ndb_claims",
    ] {
        let here = query(&["--sql", refused], &report);
        assert_eq!(here.0, Some(3), "{refused}: {}", here.2);
        assert!(here.2.starts_with("refused:"), "{}", here.2);
        let there = query(&["--sql", refused, "--cluster", &address], &report);
        assert_eq!(there, here, "{refused} on the cluster");
    }
    // A cluster no one runs: a clear error, nothing on standard output.
    let (code, stdout, stderr, _) = query(
        &[
            "--sql",
            "SELECT sex, count(*) FROM ndb_claims GROUP BY sex",
            "--cluster",
            "df://127.0.0.1:9",
        ],
        &report,
    );
    assert_eq!((code, stdout.as_str()), (Some(1), ""), "{stderr}");
    assert!(stderr.contains("execution"), "{stderr}");
}

#[test]
fn renkei_query_reaches_a_mutual_tls_cluster_only_with_a_certificate_of_its_ca() {
    let work = tempfile::tempdir().expect("temp dir");
    let d = work.path();
    let authority = Authority::new("Renkei test cluster CA");
    let ca = authority.write(&d.join("ca.pem"));
    let (node_cert, node_key) = authority.issue(d, "node", &["127.0.0.1"]);
    let (cert, key) = authority.issue(d, "analyst", &["analyst.renkei.test"]);
    let (rogue_cert, rogue_key) = Authority::new("Someone else's CA").issue(d, "rogue", &["analyst.renkei.test"]);
    let nodes = ClusterTlsFiles {
        tls_ca: Some(ca.clone()),
        tls_cert: Some(node_cert),
        tls_key: Some(node_key),
    };
    let cluster = start_cluster(d, &nodes);
    let report = d.join("report.json");
    let file = study_queries().into_iter().next().expect("a study query");
    let text = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let with = |extra: &[String]| {
        let mut args = vec!["--file".to_string(), text(&file), "--format".into(), "csv".into()];
        args.extend_from_slice(extra);
        query(&args.iter().map(String::as_str).collect::<Vec<_>>(), &report)
    };
    let here = with(&[]);
    assert_eq!(here.0, Some(0), "{}", here.2);
    let credentials = |cert: &Path, key: &Path| {
        [
            "--cluster",
            &cluster.address,
            "--cluster-ca",
            &text(&ca),
            "--cluster-cert",
            &text(cert),
            "--cluster-key",
            &text(key),
        ]
        .map(String::from)
    };
    assert_eq!(
        with(&credentials(&cert, &key)),
        here,
        "with a certificate of the cluster's CA"
    );
    assert_executors_keep_no_files(d, "a query over mutual TLS");
    for (who, args) in [
        (
            "another CA's certificate",
            credentials(&rogue_cert, &rogue_key).to_vec(),
        ),
        ("no TLS", vec!["--cluster".to_string(), cluster.address.clone()]),
    ] {
        let (code, stdout, stderr, _) = with(&args);
        assert_eq!((code, stdout.as_str()), (Some(1), ""), "{who}: {stderr}");
    }
}

#[tokio::test]
async fn the_broker_runs_requests_on_the_cluster() {
    let work = tempfile::tempdir().expect("temp dir");
    let cluster = start_cluster(work.path(), &ClusterTlsFiles::default());
    let address = cluster.address.clone();
    let on_cluster = world_on(Server::start_with("http", &["--cluster", &address])).await;
    let here = world().await;
    let mut tables = Vec::new();
    for w in [&on_cluster, &here] {
        let submitted = w
            .sato
            .submit("p-all", named("dementia_by_care_level"))
            .await
            .expect("a checked query is accepted");
        assert_eq!(submitted.state(), pb::RequestState::Checked);
        let review = w
            .kato
            .steward()
            .get_review(w.kato.req(pb::GetReviewRequest { id: submitted.id }))
            .await
            .expect("a steward reviews")
            .into_inner();
        tables.push((review.checked_table, review.checked_arrow));
    }
    assert_eq!(
        tables[0], tables[1],
        "the checked output on the cluster and on one machine"
    );
}
