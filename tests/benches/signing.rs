//! Verify 10,000 signed skills (manifest hashing + SSHSIG verification + trust checks).
//! `cargo bench --bench signing`; prints numbers, asserts nothing.

// A bench prints what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

use std::time::Instant;

use skillet::review::{self, Trust};
use skillet::signing::{self, Signer as _};

const N: usize = 10_000;

fn main() {
    let tmp = tempfile::tempdir().expect("tmp");
    let skills = tmp.path().join("skills");
    let signatures = tmp.path().join("signatures");
    let signer = signing::SshKeySigner::from_seed([9; 32], "bench@example.com");
    let public = signer.public_key().to_openssh().expect("openssh");
    let trust = Trust::parse(&format!("bench@example.com {public}\n"), "").expect("trust");

    let start = Instant::now();
    for i in 0..N {
        let name = format!("skill-{i:05}");
        let dir = skills.join(&name);
        fs_err::create_dir_all(dir.join("scripts")).unwrap();
        fs_err::write(
            dir.join("SKILL.md"),
            format!("---\nname: {name}\ndescription: Benchmark skill {i}\n---\n\n# {name}\n"),
        )
        .unwrap();
        fs_err::write(
            dir.join("scripts/index.ts"),
            format!("export default async function run() {{ return {i}; }}\n"),
        )
        .unwrap();
        let manifest = signing::manifest(&dir).unwrap();
        let file = signing::SignatureFile {
            skill: name.clone(),
            version: 1,
            manifest_digest: manifest.digest(),
            principal: "bench@example.com".into(),
            armored: signer.sign(&manifest.to_bytes()).unwrap(),
        };
        fs_err::create_dir_all(signatures.join(&name)).unwrap();
        fs_err::write(signatures.join(&name).join(file.file_name()), file.render()).unwrap();
    }
    println!(
        "signing: made and signed {N} skills in {:.2} s",
        start.elapsed().as_secs_f64()
    );

    let judge = review::Judge {
        trust: &trust,
        required: 1,
        exclude: None,
        now: review::unix_seconds(std::time::SystemTime::now()),
    };
    let start = Instant::now();
    let mut valid = 0;
    for i in 0..N {
        let name = format!("skill-{i:05}");
        let r = review::review_dir(
            &name,
            1,
            &skills.join(&name),
            &signatures.join(&name),
            &judge,
        )
        .unwrap();
        valid += usize::from(r.meets_policy);
    }
    let elapsed = start.elapsed();
    println!(
        "signing: verified {N} signed skills ({valid} meet the policy) in {:.2} s, {:.0} us per skill (target <= 2 s)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / N as f64
    );
}
