//! Declares `cfg(os_rng)`: operating-system randomness is available everywhere except on
//! wasm32-unknown-unknown, where the binding opts in with the `wasm-os-rng` feature.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(os_rng)");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let wasm_unknown = arch == "wasm32" && os == "unknown";
    if !wasm_unknown || std::env::var_os("CARGO_FEATURE_WASM_OS_RNG").is_some() {
        println!("cargo::rustc-cfg=os_rng");
    }
}
