//! Links the functions' executables at a fixed address (not position-independent) on Linux:
//! the breaker's 21,827 relative relocations and the copy-on-write faults of the pages they
//! touch cost 0.5 to 1.2 ms of a cold start's CPU, enough to push it past what a 128 MB function
//! gets in its first 100 ms (bench/README.md). Every binary the templates deploy (the breaker,
//! the gate, the readiness check), and only those: proc macros and build scripts must stay
//! shared objects. The stack, heap and libraries are still placed at random; the code is safe
//! Rust.

/// The binaries the templates deploy.
const FUNCTIONS: [&str; 3] = [
    "deployment-circuit-breaker",
    "codedeploy-hook",
    "readiness-check",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        for binary in FUNCTIONS {
            println!("cargo:rustc-link-arg-bin={binary}=-no-pie");
        }
    }
}
