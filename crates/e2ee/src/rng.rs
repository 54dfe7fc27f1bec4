//! Where randomness comes from when the caller does not pass a generator.
//!
//! Every function that draws randomness has a `_with_rng` twin that takes any
//! [`rand_core::CryptoRng`], so test vectors are reproducible. The default is `rand::rng()`:
//! a per-thread ChaCha12 generator seeded from the operating system (getrandom) and
//! reseeded periodically, so sealing does not make a system call per envelope.

/// Runs `f` with the thread's OS-seeded CSPRNG.
#[cfg(os_rng)]
pub(crate) fn with_system_rng<T>(f: impl FnOnce(&mut rand::rngs::ThreadRng) -> T) -> T {
    f(&mut rand::rng())
}
