//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the same target bodies
//! libFuzzer runs, on the stable toolchain: every input that once mattered (new coverage, or a
//! crash turned regression) is checked again by `make test`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use paysign_fuzz::{seeds, TARGETS};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_committed_input_passes_its_target() {
    let mut total = 0;
    for target in TARGETS {
        let dir = corpus_root().join(target.name);
        let inputs = files(&dir);
        assert!(!inputs.is_empty(), "no corpus for {}", target.name);
        for path in &inputs {
            let data = std::fs::read(path).unwrap();
            let run = std::panic::catch_unwind(|| (target.run)(&data));
            assert!(run.is_ok(), "{} fails on {}", target.name, path.display());
        }
        total += inputs.len();
    }
    // The corpus stays small enough to replay in seconds (and to review).
    assert!(
        total <= 600,
        "{total} corpus files; merge the corpus down (docs/reliability.md)"
    );
}

#[test]
fn every_corpus_directory_is_a_target() {
    let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
    for dir in std::fs::read_dir(corpus_root()).unwrap() {
        let name = dir.unwrap().file_name().into_string().unwrap();
        assert!(
            names.contains(&name.as_str()),
            "fuzz/corpus/{name} has no target"
        );
    }
    for name in &names {
        let harness = corpus_root().join(format!("../fuzz_targets/{name}.rs"));
        assert!(
            harness.is_file(),
            "no libFuzzer harness {}",
            harness.display()
        );
    }
}

#[test]
fn the_seeds_are_committed_and_pass() {
    for (target, name, bytes) in seeds::all().unwrap() {
        let path = corpus_root().join(target).join(&name);
        assert!(path.is_file(), "seed {target}/{name} is not committed");
        let run = TARGETS.iter().find(|t| t.name == target).unwrap().run;
        run(&bytes);
    }
}

/// The seeds reach past the signature check: a mutation of them exercises the typed parsers.
#[test]
fn signed_seeds_verify_with_the_fuzz_key() {
    let key = paysign_fuzz::private_key().unwrap().public_key();
    for (target, name, bytes) in seeds::all().unwrap() {
        if !matches!(target, "notification" | "pay_merc_auth") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        if target == "notification" {
            paysign_crypto::verify_body(&text, &key).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if target == "pay_merc_auth" {
            let mut parts = text.splitn(3, '\n');
            let (header, path, body) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let method = if body.is_empty() {
                paysign_pas::HttpMethod::Get
            } else {
                paysign_pas::HttpMethod::Post
            };
            paysign_pas::simulator::auth::verify_pay_merc_auth(
                Some(header),
                method,
                path,
                body,
                &key,
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
