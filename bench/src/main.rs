//! Measures a Lambda function the way Lambda runs it: this process serves the Runtime API
//! (2018-06-01) and the fake CodeDeploy, spawns the function's process, hands it events and
//! times everything on one clock.
//!
//! `circuit-breaker-bench --rust BOOTSTRAP --python PYTHON HANDLER_DIR [--cold N] [--warm N]
//!  [--modes http,tls,tls-128mb-strict,tls-128mb] [--event FILE]`
//!
//! Each mode runs both contestants: `http` against the fake over plain HTTP; `tls` over HTTPS
//! with a throw-away CA (given to the function by `SSL_CERT_FILE`, to boto3 by
//! `AWS_CA_BUNDLE`); the `tls-128mb` modes over HTTPS inside a CPU quota equal to a 128 MB
//! function's share (see [`quota`]): `-strict` from the first instruction, the other once init
//! is done (Lambda is widely reported to give init more CPU than the invoke phase). For each
//! contestant: N cold starts (a new process each: spawn → first `/next` is init, event handed →
//! response is the first invoke), then N warm invocations in one process. Time to stop is event
//! handed → StopDeployment received by the fake. Peak RSS is the process's VmHWM; CPU time is
//! the process's own (`/proc/<pid>/schedstat`).

mod quota;
mod runtime_api;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use fake_aws::tls::Tls;
use fake_aws::{Deployment, FakeAws, Seed};
use hyper::body::Bytes;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use quota::CpuQuota;
use runtime_api::{Answer, RuntimeApi, LIMIT};

const REGION: &str = "us-east-1";
const DEPLOYMENT: &str = "d-SHOPPROD1";
/// System CA bundles; a TLS mode trusts one of them plus the throw-away CA, so the function
/// reads a whole bundle at start as it does in Lambda.
const SYSTEM_BUNDLES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// A function implementation to measure.
struct Contestant {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// The variable that points it at a CA bundle.
    ca_variable: &'static str,
}

/// How the functions run: against a fake over HTTP or HTTPS, unconstrained or in a CPU quota.
struct Mode {
    name: &'static str,
    fake: FakeAws,
    ca_bundle: Option<PathBuf>,
    quota: Option<CpuQuota>,
    /// Whether the quota holds during init too.
    strict: bool,
}

impl Contestant {
    fn spawn(&self, runtime_api: std::net::SocketAddr, mode: &Mode) -> Child {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_ENDPOINT_URL_CODEDEPLOY", mode.fake.endpoint())
            .env("AWS_ENDPOINT_URL_EVENTBRIDGE", mode.fake.endpoint())
            .env("AWS_ENDPOINT_URL_STS", mode.fake.endpoint())
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
            .env("AWS_SECRET_ACCESS_KEY", "bench-secret")
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(bundle) = &mode.ca_bundle {
            command.env(self.ca_variable, bundle);
        }
        if let Some(quota) = mode.quota.as_ref().filter(|_| mode.strict) {
            quota.apply(&mut command);
        }
        command.spawn().expect("the function starts")
    }
}

/// CPU time a process has used so far (the first field of `/proc/<pid>/schedstat`).
fn cpu_time(child: &Child) -> Duration {
    let pid = child.id().expect("running");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).unwrap_or_default();
    let nanos = stat.split_whitespace().next().and_then(|n| n.parse().ok());
    Duration::from_nanos(nanos.unwrap_or(0))
}

/// Puts a process whose init is done under the mode's quota, unless it runs under it already.
fn limit_after_init(mode: &Mode, child: &Child) {
    if let Some(quota) = mode.quota.as_ref().filter(|_| !mode.strict) {
        quota.join(child.id().expect("running"));
    }
}

/// Peak resident memory of a process, in bytes (VmHWM).
fn peak_rss(child: &Child) -> u64 {
    let pid = child.id().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[derive(Default)]
struct Figures {
    init: Vec<Duration>,
    first_invoke: Vec<Duration>,
    cold_start: Vec<Duration>,
    cold_to_stop: Vec<Duration>,
    /// Connections the function opened to the fake during its first invoke.
    first_connections: Vec<usize>,
    /// CPU time the process used in init, and in its first invoke.
    init_cpu: Vec<Duration>,
    first_invoke_cpu: Vec<Duration>,
    warm: Vec<Duration>,
    warm_to_stop: Vec<Duration>,
    peak_rss: u64,
    /// Quota periods in which the contestant's processes were held back.
    throttled: u64,
}

/// One invocation's timings.
struct Sample {
    handed: Instant,
    answer: Answer,
    to_stop: Duration,
}

struct Bench {
    seed: Seed,
    event: Value,
}

impl Bench {
    /// The event, entering ALARM now (the function ignores stale signals).
    fn event_now(&self) -> Bytes {
        let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        let mut event = self.event.clone();
        event["time"] = json!(now);
        event["detail"]["state"]["timestamp"] = json!(now);
        Bytes::from(event.to_string())
    }

    /// Runs one invocation against a freshly seeded fake.
    async fn invoke(&self, fake: &FakeAws, api: &RuntimeApi) -> Sample {
        fake.seed(self.seed.clone());
        let (handed, answer) = api.invoke(self.event_now()).await;
        assert!(
            answer.ok && String::from_utf8_lossy(&answer.body).contains("\"stopped\""),
            "the function stopped the deployment: {}",
            String::from_utf8_lossy(&answer.body)
        );
        let stop = fake
            .served()
            .into_iter()
            .find(|s| s.operation == "StopDeployment")
            .expect("StopDeployment was called");
        Sample {
            handed,
            to_stop: stop.received - handed,
            answer,
        }
    }

    async fn measure(
        &self,
        contestant: &Contestant,
        mode: &Mode,
        cold: usize,
        warm: usize,
    ) -> Figures {
        let mut figures = Figures::default();
        let throttled_before = mode.quota.as_ref().map_or(0, CpuQuota::throttled_periods);
        for _ in 0..cold {
            if mode.quota.is_some() {
                // A fresh sandbox starts with its quota unspent.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let (api, addr, mut polls) = RuntimeApi::start().await;
            let spawned = Instant::now();
            let mut child = contestant.spawn(addr, mode);
            let first_poll = tokio::time::timeout(LIMIT, polls.recv())
                .await
                .expect("the function polls /next")
                .expect("poll");
            let init_cpu = cpu_time(&child);
            limit_after_init(mode, &child);
            let connections = mode.fake.connections();
            let sample = self.invoke(&mode.fake, &api).await;
            figures.init_cpu.push(init_cpu);
            figures.first_invoke_cpu.push(cpu_time(&child) - init_cpu);
            figures.init.push(first_poll - spawned);
            figures.first_invoke.push(sample.answer.at - sample.handed);
            // The bench's own work between the two (reseeding, moving the process into the
            // cgroup: an RCU grace period) is no part of the function's cold start.
            figures
                .cold_start
                .push(first_poll - spawned + (sample.answer.at - sample.handed));
            figures.cold_to_stop.push(sample.to_stop);
            figures
                .first_connections
                .push(mode.fake.connections() - connections);
            let _ = child.kill().await;
        }
        let (api, addr, mut polls) = RuntimeApi::start().await;
        let mut child = contestant.spawn(addr, mode);
        let _ = tokio::time::timeout(LIMIT, polls.recv()).await;
        limit_after_init(mode, &child);
        for _ in 0..warm {
            let sample = self.invoke(&mode.fake, &api).await;
            figures.warm.push(sample.answer.at - sample.handed);
            figures.warm_to_stop.push(sample.to_stop);
        }
        figures.peak_rss = peak_rss(&child);
        let _ = child.kill().await;
        figures.throttled =
            mode.quota.as_ref().map_or(0, CpuQuota::throttled_periods) - throttled_before;
        eprintln!(
            "{} ({}): {cold} cold starts, {warm} warm invocations",
            contestant.name, mode.name
        );
        figures
    }
}

fn percentile<T: Copy + Ord>(samples: &[T], p: f64) -> T {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The median first invoke less the median warm invoke.
fn first_invoke_excess(f: &Figures) -> Duration {
    percentile(&f.first_invoke, 50.0).saturating_sub(percentile(&f.warm, 50.0))
}

/// One mode's table: Rust, Python, and how many times slower Python is.
fn print_mode(mode: &Mode, rust: &Figures, python: &Figures) {
    println!("### {}", describe(mode));
    println!();
    println!("| figure | Rust | Python boto3 | Python / Rust |");
    println!("| --- | --- | --- | --- |");
    let row = |name: &str, r: Duration, p: Duration| {
        let ratio = p.as_secs_f64() / r.as_secs_f64().max(1e-9);
        println!("| {name} | {} | {} | {ratio:.1}× |", ms(r), ms(p));
    };
    type Pick = fn(&Figures) -> &[Duration];
    let rows: [(&str, Pick, f64); 9] = [
        (
            "init (process start → first /next), median",
            |f| &f.init,
            50.0,
        ),
        ("CPU time of init, median", |f| &f.init_cpu, 50.0),
        (
            "CPU time of the first invoke, median",
            |f| &f.first_invoke_cpu,
            50.0,
        ),
        (
            "first invoke (event → response), median",
            |f| &f.first_invoke,
            50.0,
        ),
        (
            "cold start (init + first invoke), median",
            |f| &f.cold_start,
            50.0,
        ),
        (
            "cold time to stop (event → StopDeployment received), median",
            |f| &f.cold_to_stop,
            50.0,
        ),
        ("warm invoke p50", |f| &f.warm, 50.0),
        ("warm invoke p99", |f| &f.warm, 99.0),
        ("warm time to stop p50", |f| &f.warm_to_stop, 50.0),
    ];
    for (name, pick, p) in rows {
        row(name, percentile(pick(rust), p), percentile(pick(python), p));
    }
    row(
        "first invoke less warm p50",
        first_invoke_excess(rust),
        first_invoke_excess(python),
    );
    println!(
        "| connections opened by the first invoke, median | {} | {} | |",
        percentile(&rust.first_connections, 50.0),
        percentile(&python.first_connections, 50.0)
    );
    println!(
        "| peak RSS (VmHWM, after the warm run) | {} | {} | {:.1}× |",
        mib(rust.peak_rss),
        mib(python.peak_rss),
        python.peak_rss as f64 / rust.peak_rss.max(1) as f64
    );
    if mode.quota.is_some() {
        println!(
            "| quota periods throttled (whole run) | {} | {} | |",
            rust.throttled, python.throttled
        );
    }
    println!();
}

fn describe(mode: &Mode) -> String {
    let transport = if mode.ca_bundle.is_some() {
        "HTTPS (throw-away CA)"
    } else {
        "plain HTTP"
    };
    let when = if mode.strict {
        "from the process's start"
    } else {
        "once init is done"
    };
    match &mode.quota {
        Some(quota) => format!(
            "{}: {transport}, CPU quota of a {} MB function ({:.1} ms per 100 ms) {when}",
            mode.name,
            quota::MEMORY_MB,
            quota.quota_us as f64 / 1000.0
        ),
        None => format!("{}: {transport}, no CPU limit", mode.name),
    }
}

/// The targets, judged on the last mode run (the most Lambda-like one asked for).
fn print_targets(mode: &Mode, rust: &Figures, python: &Figures) {
    let cold = |f: &Figures| percentile(&f.cold_start, 50.0);
    let ratio = cold(python).as_secs_f64() / cold(rust).as_secs_f64();
    let excess = first_invoke_excess(rust);
    let verdict = |met: bool| if met { "met" } else { "NOT MET" };
    println!("### Targets, in mode {}", mode.name);
    println!();
    println!("| target | measured | |");
    println!("| --- | --- | --- |");
    println!(
        "| cold start at least 50× below boto3 | {ratio:.0}× ({} vs {}) | {} |",
        ms(cold(rust)),
        ms(cold(python)),
        verdict(ratio >= 50.0)
    );
    println!(
        "| first invoke within 1 ms of the warm median | {} beyond it ({} vs {}) | {} |",
        ms(excess),
        ms(percentile(&rust.first_invoke, 50.0)),
        ms(percentile(&rust.warm, 50.0)),
        verdict(excess <= Duration::from_millis(1))
    );
    println!(
        "| peak RSS under 16 MiB | {} | {} |",
        mib(rust.peak_rss),
        verdict(rust.peak_rss < 16 * 1024 * 1024)
    );
    println!();
}

struct Args {
    rust: PathBuf,
    python: PathBuf,
    handler: PathBuf,
    cold: usize,
    warm: usize,
    event: PathBuf,
    modes: Vec<String>,
    /// Extra variables for the Rust function (to measure a setting such as `WARM_UP=false`).
    rust_env: Vec<(String, String)>,
}

const USAGE: &str = "usage: circuit-breaker-bench --rust BOOTSTRAP --python PYTHON HANDLER_DIR \
                     [--cold N] [--warm N] [--event FILE] \
                     [--modes http,tls,tls-128mb-strict,tls-128mb] [--rust-env NAME=VALUE ...]";

/// The command line; `Err` says what is wrong with it (`--help`: nothing, the usage is asked).
fn args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut rust, mut python, mut handler) = (None, None, None);
    let (mut cold, mut warm) = (15, 200);
    let mut event = PathBuf::from("events/eventbridge-alarm-state-change.json");
    let mut modes = "http,tls,tls-128mb-strict,tls-128mb".to_string();
    let mut rust_env = Vec::new();
    let number = |value: Option<String>, name| {
        let value = value.ok_or(format!("{name} needs a number"))?;
        value
            .parse()
            .map_err(|_| format!("{name} {value}: not a number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Err(String::new()),
            "--rust" => rust = args.next().map(PathBuf::from),
            "--python" => {
                python = args.next().map(PathBuf::from);
                handler = args.next().map(PathBuf::from);
            }
            "--cold" => cold = number(args.next(), "--cold")?,
            "--warm" => warm = number(args.next(), "--warm")?,
            "--event" => {
                event = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--event needs a file")?
            }
            "--modes" => modes = args.next().ok_or("--modes needs a list")?,
            "--rust-env" => {
                let pair = args.next().unwrap_or_default();
                let (name, value) = pair.split_once('=').ok_or("--rust-env takes NAME=VALUE")?;
                rust_env.push((name.to_string(), value.to_string()));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let modes = modes.split(',').map(|mode| match MODES.contains(&mode) {
        true => Ok(mode.to_string()),
        false => Err(format!("unknown mode `{mode}`")),
    });
    Ok(Args {
        rust: rust.ok_or("--rust is required")?,
        python: python.ok_or("--python is required")?,
        handler: handler.ok_or("--python needs PYTHON and HANDLER_DIR")?,
        cold,
        warm,
        event,
        modes: modes.collect::<Result<_, _>>()?,
        rust_env,
    })
}

/// The system bundle plus the throw-away CA, written to a scratch file.
fn ca_bundle(tls: &Tls) -> PathBuf {
    let system = SYSTEM_BUNDLES
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("circuit-breaker-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join("ca-bundle.pem");
    std::fs::write(&path, format!("{system}\n{}", tls.ca_pem)).expect("the CA bundle is written");
    path
}

/// The modes, in the order they run.
const MODES: [&str; 4] = ["http", "tls", "tls-128mb-strict", "tls-128mb"];

async fn mode(name: &'static str, tls: &Tls) -> Option<Mode> {
    let (https, quota) = match name {
        "http" => (false, None),
        "tls" => (true, None),
        // The two tls-128mb modes (`args` lets no other name through).
        _ => match CpuQuota::create(name) {
            Ok(quota) => (true, Some(quota)),
            Err(why) => {
                println!("Mode {name} skipped: {why}.");
                println!();
                return None;
            }
        },
    };
    let fake = if https {
        FakeAws::start_tls(tls).await
    } else {
        FakeAws::start().await
    };
    Some(Mode {
        name,
        fake: fake.expect("the fake starts"),
        ca_bundle: https.then(|| ca_bundle(tls)),
        quota,
        strict: name.ends_with("-strict"),
    })
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(args) => args,
        Err(why) if why.is_empty() => return println!("{USAGE}"),
        Err(why) => {
            eprintln!("circuit-breaker-bench: {why}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(&args.event).expect("the event file exists"))
            .expect("the event is JSON");
    event["detail"]["alarmTags"] =
        json!({"codedeploy-application": "shop", "codedeploy-deployment-group": "prod"});
    let created = SystemTime::now() - Duration::from_secs(600);
    let bench = Bench {
        seed: Seed {
            deployments: vec![Deployment::new(REGION, DEPLOYMENT, "shop", "prod").created(created)],
            ..Default::default()
        },
        event,
    };
    let contestants = [
        Contestant {
            name: "Rust (this function)",
            program: args.rust.clone(),
            args: vec![],
            env: [("ALLOWED_DEPLOYMENT_GROUPS".into(), "shop/prod".into())]
                .into_iter()
                .chain(args.rust_env.iter().cloned())
                .collect(),
            ca_variable: "SSL_CERT_FILE",
        },
        Contestant {
            name: "Python boto3 (awslambdaric)",
            program: args.python.clone(),
            args: ["-m", "awslambdaric", "handler.handler"]
                .map(String::from)
                .to_vec(),
            env: vec![(
                "PYTHONPATH".into(),
                args.handler.to_string_lossy().into_owned(),
            )],
            ca_variable: "AWS_CA_BUNDLE",
        },
    ];
    let tls = Tls::throwaway().expect("a throw-away CA");
    let mut last = None;
    for name in MODES {
        if !args.modes.iter().any(|m| m == name) {
            continue;
        }
        let Some(mode) = mode(name, &tls).await else {
            continue;
        };
        let rust = bench
            .measure(&contestants[0], &mode, args.cold, args.warm)
            .await;
        let python = bench
            .measure(&contestants[1], &mode, args.cold, args.warm)
            .await;
        print_mode(&mode, &rust, &python);
        last = Some((mode, rust, python));
    }
    if let Some((mode, rust, python)) = &last {
        print_targets(mode, rust, python);
    }
    println!(
        "{} cold starts and {} warm invocations each; one CodeDeploy deployment stopped per \
         invocation.",
        args.cold, args.warm
    );
}
