//! Links the function's executable at a fixed address (not position-independent) on Linux: its
//! 21,827 relative relocations and the copy-on-write faults of the pages they touch cost 0.5 to
//! 1.2 ms of a cold start's CPU, enough to push it past what a 128 MB function gets in its first
//! 100 ms (bench/README.md). Only this binary: proc macros and build scripts must stay shared objects.
//! The stack, heap and libraries are still placed at random; the code is safe Rust.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bin=deployment-circuit-breaker=-no-pie");
    }
}
