//! `paysign-crypto`: for merchant engineers chasing "签名无效" (invalid signature) errors.
//! Prints canonical strings, checks and makes `sign` fields, and generates key pairs.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use paysign_crypto::{
    canonical_get, canonical_json, sign_body, verify_body, KeyAlgorithm, PrivateKey, PublicKey,
};

/// Exit status for a usage, file or key error (clap also uses 2 for bad arguments).
const EXIT_USAGE: u8 = 2;
/// Exit status for a signature that does not verify (or a body that cannot carry one).
const EXIT_INVALID: u8 = 1;

#[derive(Parser)]
#[command(
    name = "paysign-crypto",
    version,
    about = "Huawei Payment Kit signatures: canonical string, SM2 / RSA-PSS sign and verify, keys",
    long_about = "Huawei Payment Kit signatures: canonical string, SM2 / RSA-PSS sign and verify, keys.\n\
                  KEY is a file path or the key text itself: hex 04||X||Y, hex/Base64/PEM \
                  SubjectPublicKeyInfo, PEM X.509 certificate, hex/Base64/PEM PKCS#8, PEM SEC1 or PKCS#1.\n\
                  FILE is a JSON body; without FILE (or with -) the body is read from standard input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the canonical signing string of a JSON body (or, with --get, of a GET request URI).
    Canonical {
        /// The request URI (path and query, or a full URL) of a GET request, instead of a body.
        #[arg(long, value_name = "URI", conflicts_with = "file")]
        get: Option<String>,
        /// The JSON body; standard input without it.
        file: Option<PathBuf>,
    },
    /// Check the body's "sign" field: exit 0 valid, 1 invalid, 2 usage or key error.
    Verify {
        /// Huawei's public key (or certificate), or the merchant's for a request body.
        #[arg(long, value_name = "KEY")]
        public_key: String,
        /// Also print the canonical string that was checked (to standard error).
        #[arg(long)]
        show_canonical: bool,
        file: Option<PathBuf>,
    },
    /// Print the body with "sign" set (SM2 by default).
    Sign {
        #[arg(long, value_name = "KEY")]
        private_key: String,
        /// Sign with SHA256withRSA/PSS; the key must be an RSA key.
        #[arg(long)]
        rsa: bool,
        file: Option<PathBuf>,
    },
    /// Write a new key pair in the forms Huawei's merchant platform and SDKs take.
    Keygen(KeygenArgs),
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct Algorithm {
    /// An SM2 key pair.
    #[arg(long)]
    sm2: bool,
    /// A 3072-bit RSA key pair (SHA256withRSA/PSS).
    #[arg(long)]
    rsa: bool,
}

#[derive(Args)]
struct KeygenArgs {
    #[command(flatten)]
    algorithm: Algorithm,
    /// Directory to write the files into (created if missing; existing files are not replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// A failure with its exit status and a one-line reason.
struct Failure {
    code: u8,
    reason: String,
}

fn usage(reason: impl Into<String>) -> Failure {
    Failure {
        code: EXIT_USAGE,
        reason: reason.into(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let label = if failure.code == EXIT_INVALID {
                "invalid"
            } else {
                "error"
            };
            eprintln!("{label}: {}", failure.reason);
            ExitCode::from(failure.code)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Canonical { get: Some(uri), .. } => print_line(&canonical_get(&uri)),
        Command::Canonical { get: None, file } => {
            let body = read_body(file.as_deref())?;
            let canonical = canonical_json(&body).map_err(|e| usage(e.to_string()))?;
            print_line(&canonical)
        }
        Command::Verify {
            public_key,
            show_canonical,
            file,
        } => {
            let key = load_key_text(&public_key)
                .and_then(|text| PublicKey::from_text(&text).map_err(|e| key_failure(&e)))?;
            let body = read_body(file.as_deref())?;
            if show_canonical {
                if let Ok(canonical) = canonical_json(&body) {
                    eprintln!("canonical: {canonical}");
                }
            }
            verify_body(&body, &key).map_err(|e| Failure {
                code: EXIT_INVALID,
                reason: e.to_string(),
            })?;
            print_line(&format!("valid: {} signature matches", key.algorithm()))
        }
        Command::Sign {
            private_key,
            rsa,
            file,
        } => {
            let key = load_key_text(&private_key)
                .and_then(|text| PrivateKey::from_text(&text).map_err(|e| key_failure(&e)))?;
            match (key.algorithm(), rsa) {
                (KeyAlgorithm::Sm2, true) => {
                    return Err(usage("--rsa was given but the key is an SM2 key"))
                }
                (KeyAlgorithm::RsaPss, false) => {
                    return Err(usage(
                        "the key is an RSA key; pass --rsa to sign with SHA256withRSA/PSS",
                    ))
                }
                _ => {}
            }
            let body = read_body(file.as_deref())?;
            let signed = sign_body(&body, &key).map_err(|e| usage(e.to_string()))?;
            print_line(&signed)
        }
        Command::Keygen(args) => keygen(&args),
    }
}

fn print_line(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| usage(format!("cannot write output: {e}")))
}

fn read_body(file: Option<&Path>) -> Result<String, Failure> {
    match file {
        Some(path) if path != Path::new("-") => fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read {}: {e}", path.display()))),
        _ => {
            let mut body = String::new();
            io::stdin()
                .read_to_string(&mut body)
                .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
            Ok(body)
        }
    }
}

/// KEY is a path when such a file exists, otherwise the key text itself.
fn load_key_text(key: &str) -> Result<zeroize::Zeroizing<String>, Failure> {
    let path = Path::new(key);
    if !key.contains('\n') && path.is_file() {
        return fs::read_to_string(path)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| usage(format!("cannot read key file {}: {e}", path.display())));
    }
    let looks_like_path = !key.contains("-----")
        && (key.ends_with(".pem")
            || key.ends_with(".key")
            || key.ends_with(".hex")
            || key.ends_with(".crt")
            || key.ends_with(".cer"));
    if looks_like_path {
        return Err(usage(format!("key file {key} does not exist")));
    }
    Ok(zeroize::Zeroizing::new(key.to_owned()))
}

/// The argument was not a file, so it was read as key text; when that fails too, say both
/// (without echoing the argument: it may be key material).
fn key_failure(error: &paysign_crypto::KeyError) -> Failure {
    match error {
        paysign_crypto::KeyError::UnrecognizedEncoding | paysign_crypto::KeyError::Empty => usage(
            format!("KEY is neither an existing file nor key text: {error}"),
        ),
        other => usage(other.to_string()),
    }
}

fn keygen(args: &KeygenArgs) -> Result<(), Failure> {
    let (prefix, key) = if args.algorithm.sm2 {
        ("sm2", PrivateKey::generate_sm2())
    } else {
        (
            "rsa",
            PrivateKey::generate_rsa(paysign_crypto::rules::RSA_KEYGEN_BITS),
        )
    };
    let key = key.map_err(|e| usage(e.to_string()))?;
    let public = key.public_key();
    let mut files: Vec<(String, zeroize::Zeroizing<String>, bool)> = vec![
        (format!("{prefix}-private.pem"), key.to_pkcs8_pem(), true),
        (
            format!("{prefix}-private.pkcs8.b64"),
            with_newline(&key.to_pkcs8_base64()),
            true,
        ),
        (
            format!("{prefix}-public.pem"),
            zeroize::Zeroizing::new(public.to_spki_pem()),
            false,
        ),
    ];
    if let Some(point) = public.to_sm2_point_hex() {
        files.push((
            format!("{prefix}-public.hex"),
            zeroize::Zeroizing::new(format!("{point}\n")),
            false,
        ));
    }
    fs::create_dir_all(&args.out)
        .map_err(|e| usage(format!("cannot create {}: {e}", args.out.display())))?;
    for (name, _, _) in &files {
        let path = args.out.join(name);
        if path.exists() {
            return Err(usage(format!(
                "{} already exists; not replacing a key",
                path.display()
            )));
        }
    }
    for (name, content, secret) in &files {
        let path = args.out.join(name);
        write_new_file(&path, content, *secret)
            .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
        print_line(&format!("wrote {}", path.display()))?;
    }
    print_line(&format!(
        "upload {prefix}-public.pem on the merchant platform (证书管理 → 上传商户证书); keep the private files secret"
    ))
}

fn with_newline(text: &str) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(format!("{text}\n"))
}

/// Creates `path` (never replacing a file); secret files are readable by the owner only.
fn write_new_file(path: &Path, content: &str, secret: bool) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())
}
