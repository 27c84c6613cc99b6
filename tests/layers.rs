//! The architecture, checked: imports in `src/` point only down the pipeline, and no two
//! modules import each other. A failure names the file and the line.
//!
//! The order, bottom first (a module may import only those in layers below its own):
//! `time`/`glob`/`payload` → `types` → `config` → `mapping` → `signal` → `resolve` →
//! `candidates` → `decide`/`judge` → `aws` → `redeploys` → `act`/`guards` → `report`/`notify`/`metrics` → `runtime` →
//! `handler`/`gate`/`readiness` (the three functions) → `main` and `bin/`, the binaries.
//! Inside a folder, a file imports its siblings and never its parent `mod.rs`, which only
//! declares and re-exports. Test code (`#[cfg(test)] mod tests` blocks and `tests.rs` files) is
//! not part of the pipeline and is not checked.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const LAYERS: &[&[&str]] = &[
    &["time", "glob", "payload"],
    &["types"],
    &["config"],
    &["mapping"],
    &["signal"],
    &["resolve"],
    &["candidates"],
    &["decide", "judge"],
    &["aws"],
    &["redeploys"],
    &["act", "guards"],
    &["report", "notify", "metrics"],
    &["canary"],
    &["runtime"],
    &["handler", "gate", "readiness"],
    &["bin"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The code of a file, without comments and its trailing test module.
fn code(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut previous = "";
    for (index, line) in text.lines().enumerate() {
        if previous.trim() == "#[cfg(test)]" && line.trim_start().starts_with("mod tests") {
            lines.pop();
            break;
        }
        previous = line;
        let code = line.split("//").next().unwrap_or_default();
        lines.push((index + 1, code.to_string()));
    }
    lines
}

/// The identifiers that follow `prefix` in `line`, including each of a `prefix{a, b::c}` group
/// (the group's first identifiers, one per element).
fn after(line: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in line.match_indices(prefix) {
        let before = line[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &line[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = group.split('}').next().unwrap_or_default();
                found.extend(group.split(',').map(ident));
            }
            None => found.push(ident(rest)),
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// Every violation in `files` (path under `src/` → text), one line each.
fn violations(files: &BTreeMap<String, String>) -> Vec<String> {
    let mut found = Vec::new();
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for (path, text) in files {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name == "tests.rs" || path == "lib.rs" || path == "main.rs" {
            continue;
        }
        let top = path
            .split('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".rs");
        let Some(rank) = layer(top) else {
            found.push(format!("src/{path}: module `{top}` has no place in LAYERS"));
            continue;
        };
        let dir = path.rsplit_once('/').map(|(dir, _)| dir);
        let lines = code(text);
        // Joined, so a `use crate::{…}` spread over lines is read whole.
        let mut joined = Vec::new();
        let mut statement = String::new();
        let mut first = 0;
        for (number, line) in &lines {
            if statement.is_empty() {
                first = *number;
            }
            statement.push_str(line);
            let open = statement.matches('{').count() > statement.matches('}').count();
            let import = statement.trim_start().trim_start_matches("pub ");
            if !(import.starts_with("use ") && open) {
                joined.push((first, std::mem::take(&mut statement)));
            }
        }
        for (number, line) in &joined {
            for target in after(line, "crate::") {
                let Some(other) = layer(&target) else {
                    continue;
                };
                if target != top && other >= rank {
                    found.push(format!(
                        "src/{path}:{number}: `{top}` imports `{target}`, which is not below it \
                         in the pipeline (see LAYERS in tests/layers.rs)"
                    ));
                }
            }
            let Some(dir) = dir else { continue };
            for target in after(line, "super::") {
                let sibling = [
                    format!("{dir}/{target}.rs"),
                    format!("{dir}/{target}/mod.rs"),
                ]
                .into_iter()
                .find(|p| files.contains_key(p));
                let parent = if path.ends_with("/mod.rs") {
                    None
                } else {
                    Some(format!("{dir}/mod.rs"))
                };
                match (sibling, parent) {
                    (Some(sibling), _) => {
                        edges.insert((path.clone(), sibling), format!("src/{path}:{number}"));
                    }
                    (None, Some(parent)) => found.push(format!(
                        "src/{path}:{number}: imports `{target}` from its parent {parent}: \
                         move what the children share into a sibling"
                    )),
                    (None, None) => {}
                }
            }
        }
    }
    for ((from, to), at) in &edges {
        if let Some(back) = edges.get(&(to.clone(), from.clone())) {
            if from < to {
                found.push(format!(
                    "{at} and {back}: src/{from} and src/{to} import each other"
                ));
            }
        }
    }
    found
}

fn read(dir: &Path, prefix: &str, files: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("src/ is readable").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            read(&path, &format!("{prefix}{name}/"), files);
        } else if name.ends_with(".rs") {
            let text = fs::read_to_string(&path).expect("a source file is readable");
            files.insert(format!("{prefix}{name}"), text);
        }
    }
}

#[test]
fn imports_point_only_down_the_pipeline() {
    let mut files = BTreeMap::new();
    read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut files,
    );
    assert!(files.contains_key("types/mod.rs"), "read src/");
    let found = violations(&files);
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}

#[test]
fn an_upward_import_or_a_cycle_is_named_with_its_file_and_line() {
    let files = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    };
    let upward = files(&[
        ("types/mod.rs", "mod names;\n"),
        (
            "decide.rs",
            "//! Rails.\n\nuse crate::{config::Config, act::Acted};\n",
        ),
    ]);
    assert_eq!(
        violations(&upward),
        vec![
            "src/decide.rs:3: `decide` imports `act`, which is not below it in the pipeline \
              (see LAYERS in tests/layers.rs)"
        ]
    );
    let grouped = files(&[(
        "signal/mod.rs",
        "use crate::{\n    config::Config,\n    report::Report,\n};\n",
    )]);
    assert_eq!(violations(&grouped).len(), 1, "{:?}", violations(&grouped));
    let fine = files(&[
        (
            "act.rs",
            "use crate::aws::Aws;\n#[cfg(test)]\nmod tests {\n    use crate::handler;\n}\n",
        ),
        (
            "report.rs",
            "// crate::handler in a comment\nuse crate::act::Action;\n",
        ),
    ]);
    assert_eq!(violations(&fine), Vec::<String>::new());
    let cycle = files(&[
        ("aws/mod.rs", "mod calls;\n"),
        ("aws/calls.rs", "use super::errors::aws_error;\n"),
        ("aws/errors.rs", "use super::calls::Calls;\n"),
        ("aws/events.rs", "use super::Aws;\n"),
    ]);
    let found = violations(&cycle);
    assert!(
        found.iter().any(|v| v.contains("import each other")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v.starts_with("src/aws/events.rs:1: imports `Aws` from its parent")),
        "{found:?}"
    );
    let unknown = files(&[("valve.rs", "use crate::types::Outcome;\n")]);
    assert_eq!(
        violations(&unknown),
        vec!["src/valve.rs: module `valve` has no place in LAYERS"]
    );
}
