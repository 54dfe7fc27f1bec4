//! Embeds the demo `domvia serve` shows at `/` (zero-config mode) into the binary, so a
//! fresh machine with only Rust installed runs it: no npm, no prebuilt files.
//!
//! 1. Builds `domvia-e2ee-wasm` (bindings/wasm) for `wasm32-unknown-unknown` in the
//!    `wasm` profile (Cargo.toml, as scripts/build-wasm.sh does) with a nested `cargo build --locked`, into its own target directory
//!    (`$CARGO_TARGET_DIR` or `<workspace>/target`, then `demo-wasm`, shared by every
//!    profile): the outer build holds the lock of its own target directory, so a nested
//!    build there would wait forever. The wasm32 target is added with rustup if missing.
//! 2. Generates the wasm-bindgen glue with the `wasm-bindgen-cli-support` library, with
//!    the options of scripts/build-wasm.sh (`--target web`, no TypeScript, name and
//!    producers sections removed), into `OUT_DIR/pkg/wasm`.
//! 3. Writes `OUT_DIR/demo_assets.rs`: every file the demo serves, `include_bytes!`ed —
//!    the npm package's `index.js` and `lib/*.js` as they are in packages/realtime-e2ee,
//!    the generated glue and `.wasm`, and the page itself (crates/cli/demo).
//!
//! Offline builds: with `CARGO_NET_OFFLINE=true` the nested build runs `--offline` (its
//! dependencies must then be in the local registry cache, as after one online build).
//! `DOMVIA_DEMO_WASM=/absolute/path/to/domvia_e2ee_wasm.wasm` skips the nested build and
//! uses that module instead (it must come from this workspace's bindings/wasm).

#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "a build script talks to cargo on stdout and to the developer on stderr"
)]

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WASM_CRATE: &str = "domvia-e2ee-wasm";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: building the demo for `domvia serve`: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .ancestors()
        .nth(2)
        .ok_or("crates/cli is not two levels under the workspace")?
        .to_path_buf();
    let out_dir = PathBuf::from(var("OUT_DIR")?);
    for watched in [
        "bindings/wasm",
        "crates/e2ee",
        "Cargo.lock",
        "Cargo.toml",
        "packages/realtime-e2ee/index.js",
        "packages/realtime-e2ee/lib",
        "crates/cli/demo",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-env-changed=DOMVIA_DEMO_WASM");
    println!("cargo:rerun-if-env-changed=CARGO_NET_OFFLINE");

    let wasm = match env::var_os("DOMVIA_DEMO_WASM") {
        Some(path) => PathBuf::from(path),
        None => build_wasm(&workspace)?,
    };
    let glue_dir = out_dir.join("pkg").join("wasm");
    let _ = fs::remove_dir_all(&glue_dir);
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .map_err(|error| format!("wasm-bindgen: {error}"))?
        .typescript(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(&glue_dir)
        .map_err(|error| format!("wasm-bindgen on {}: {error:#}", wasm.display()))?;

    let package = workspace.join("packages/realtime-e2ee");
    let mut assets = vec![("pkg/index.js".to_owned(), package.join("index.js"))];
    assets.extend(files_under(&package.join("lib"), "pkg/lib")?);
    assets.extend(files_under(&glue_dir, "pkg/wasm")?);
    assets.extend(files_under(&manifest_dir.join("demo"), "")?);
    write_assets(&out_dir.join("demo_assets.rs"), &assets)
}

fn var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

/// Builds bindings/wasm for wasm32 in the `wasm` profile; the path of the `.wasm`.
fn build_wasm(workspace: &Path) -> Result<PathBuf, String> {
    ensure_wasm_target()?;
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                workspace.join(dir)
            }
        })
        .unwrap_or_else(|| workspace.join("target"))
        .join("demo-wasm");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "--profile",
            "wasm",
            "--locked",
            "--target",
            WASM_TARGET,
            "-p",
            WASM_CRATE,
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    if env::var("CARGO_NET_OFFLINE").is_ok_and(|value| value == "true") {
        command.arg("--offline");
    }
    clean_environment(&mut command);
    let status = command
        .status()
        .map_err(|error| format!("could not run cargo for {WASM_CRATE}: {error}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build --profile wasm --locked --target {WASM_TARGET} -p {WASM_CRATE}` failed \
             ({status}); its output is above"
        ));
    }
    Ok(target_dir
        .join(WASM_TARGET)
        .join("wasm")
        .join("domvia_e2ee_wasm.wasm"))
}

/// What the outer cargo sets for this build script (its profile, flags, target, wrappers)
/// must not steer the nested wasm32 build; registry, network and home settings stay.
fn clean_environment(command: &mut Command) {
    const KEPT_CARGO: [&str; 5] = [
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
    ];
    const REMOVED: [&str; 8] = [
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "MAKEFLAGS",
        "MFLAGS",
        "TARGET",
    ];
    for (name, _) in env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let leaked_cargo =
            name.starts_with("CARGO_") && !KEPT_CARGO.iter().any(|kept| name.starts_with(kept));
        if leaked_cargo || REMOVED.contains(&name) || name.starts_with("DEP_") {
            command.env_remove(name);
        }
    }
}

/// Adds the wasm32 target with rustup when the toolchain lacks it.
fn ensure_wasm_target() -> Result<(), String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|error| format!("could not run rustc: {error}"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        return Ok(());
    }
    eprintln!("domvia-cli build: adding the {WASM_TARGET} target with rustup");
    let added = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status()
        .is_ok_and(|status| status.success());
    if added {
        Ok(())
    } else {
        Err(format!(
            "the Rust target {WASM_TARGET} is missing and `rustup target add {WASM_TARGET}` \
             failed; install it (rustup target add {WASM_TARGET}), or build with \
             DOMVIA_DEMO_WASM=<path to domvia_e2ee_wasm.wasm>"
        ))
    }
}

/// Every file directly or deeply under `dir`, as (served path, file path), sorted.
fn files_under(dir: &Path, prefix: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let mut found = Vec::new();
    let entries =
        fs::read_dir(dir).map_err(|error| format!("reading {}: {error}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("reading {}: {error}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let served = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path, &served)?);
        } else {
            found.push((served, path));
        }
    }
    found.sort();
    Ok(found)
}

fn write_assets(out: &Path, assets: &[(String, PathBuf)]) -> Result<(), String> {
    let mut code = String::from(
        "/// Every file of the demo: (path under /demo/, contents). Generated by build.rs.\n\
         pub(crate) static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for (served, path) in assets {
        let _ = writeln!(
            code,
            "    ({served:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    fs::write(out, code).map_err(|error| format!("writing {}: {error}", out.display()))
}
