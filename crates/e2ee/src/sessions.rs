//! Sender sessions: how a key seals many envelopes without a nonce budget and without a
//! key schedule per message (spec/envelope-v1.md section 4.1).
//!
//! Sealing uses the key's current *outgoing session*: a random 32-byte salt, the AES key
//! HKDF derives from it, and a count. Each envelope takes a fresh random 96-bit IV under
//! that session key; after [`MAX_ENVELOPES_PER_SESSION`] envelopes the next one starts a
//! new session. Opening derives the session key for the envelope's salt once and keeps it
//! in a small cache, so a receiver pays the derivation and key schedule once per sender
//! session, not per message.
//!
//! The state lives behind a mutex in each [`crate::AesGcmKey`]. A clone of a key starts
//! with empty state (its own sessions), so no two holders ever share a counter by accident.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use rand_core::CryptoRng;

use crate::suite::{AeadFailure, Prk, SALT_LEN, active};

/// Envelopes sealed under one session key before a new session starts: 2^24. With random
/// 96-bit IVs, the chance that two of them share an IV is below 2^-49 (NIST SP 800-38D
/// section 8.3 asks for at most 2^-32).
pub const MAX_ENVELOPES_PER_SESSION: u32 = 1 << 24;

/// Sessions of other senders (and our own) remembered for opening.
const INCOMING_CAPACITY: usize = 64;

/// A session key ready to use.
pub(crate) type SessionCipher = Arc<active::Cipher>;

struct Outgoing {
    salt: [u8; SALT_LEN],
    cipher: SessionCipher,
    sealed: u32,
}

#[derive(Default)]
struct State {
    outgoing: Option<Outgoing>,
    /// Most recently used first.
    incoming: VecDeque<([u8; SALT_LEN], SessionCipher)>,
}

/// See the module documentation.
#[derive(Default)]
pub(crate) struct Sessions(Mutex<State>);

impl Clone for Sessions {
    /// A clone starts fresh: sessions are never shared between key holders.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Sessions {
    /// The session to seal the next envelope with, starting a new one (its salt from
    /// `rng`) when there is none or the current one is used up.
    pub(crate) fn outgoing<R: CryptoRng + ?Sized>(
        &self,
        prk: &Prk,
        suite: u8,
        rng: &mut R,
    ) -> Result<([u8; SALT_LEN], SessionCipher), AeadFailure> {
        // No invariant spans a panic, so a poisoned lock is still consistent.
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = match &state.outgoing {
            Some(o) => o.sealed >= MAX_ENVELOPES_PER_SESSION,
            None => true,
        };
        if fresh {
            let mut salt = [0u8; SALT_LEN];
            rng.fill_bytes(&mut salt);
            let cipher = Arc::new(active::Cipher::new(&prk.session_key(suite, &salt))?);
            state.outgoing = Some(Outgoing {
                salt,
                cipher,
                sealed: 0,
            });
        }
        let o = state.outgoing.as_mut().ok_or(AeadFailure)?;
        o.sealed = o.sealed.saturating_add(1);
        Ok((o.salt, Arc::clone(&o.cipher)))
    }

    /// The session key for an envelope's salt: from the cache, or derived and cached.
    /// Salts are public, so they are compared with plain equality.
    pub(crate) fn incoming(
        &self,
        prk: &Prk,
        suite: u8,
        salt: &[u8; SALT_LEN],
    ) -> Result<SessionCipher, AeadFailure> {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(o) = state.outgoing.as_ref().filter(|o| o.salt == *salt) {
            return Ok(Arc::clone(&o.cipher));
        }
        if let Some(i) = state.incoming.iter().position(|(s, _)| s == salt) {
            let hit = state.incoming.remove(i).ok_or(AeadFailure)?;
            let cipher = Arc::clone(&hit.1);
            state.incoming.push_front(hit);
            return Ok(cipher);
        }
        let cipher = Arc::new(active::Cipher::new(&prk.session_key(suite, salt))?);
        state.incoming.push_front((*salt, Arc::clone(&cipher)));
        state.incoming.truncate(INCOMING_CAPACITY);
        Ok(cipher)
    }

    #[cfg(test)]
    fn outgoing_count(&self) -> Option<u32> {
        let state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.outgoing.as_ref().map(|o| o.sealed)
    }

    #[cfg(test)]
    fn exhaust_outgoing(&self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(o) = state.outgoing.as_mut() {
            o.sealed = MAX_ENVELOPES_PER_SESSION;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> impl CryptoRng {
        rand::rng()
    }

    #[test]
    fn a_session_is_reused_until_its_budget_then_replaced() {
        let prk = Prk::extract(&[1; 32]);
        let s = Sessions::default();
        let (a, _) = s.outgoing(&prk, 1, &mut rng()).unwrap();
        let (b, _) = s.outgoing(&prk, 1, &mut rng()).unwrap();
        assert_eq!(a, b);
        assert_eq!(s.outgoing_count(), Some(2));
        s.exhaust_outgoing();
        let (c, _) = s.outgoing(&prk, 1, &mut rng()).unwrap();
        assert_ne!(a, c, "a used-up session is replaced");
        assert_eq!(s.outgoing_count(), Some(1));
        assert_eq!(s.clone().outgoing_count(), None, "clones start fresh");
    }

    #[test]
    fn the_incoming_cache_is_bounded_and_most_recent_first() {
        let prk = Prk::extract(&[2; 32]);
        let s = Sessions::default();
        for i in 0..=INCOMING_CAPACITY {
            s.incoming(&prk, 1, &[u8::try_from(i).unwrap(); 32])
                .unwrap();
        }
        let state = s.0.lock().unwrap();
        assert_eq!(state.incoming.len(), INCOMING_CAPACITY);
        assert_eq!(state.incoming.front().map(|e| e.0[0]), Some(64));
        assert!(
            state.incoming.iter().all(|e| e.0[0] != 0),
            "the oldest was evicted"
        );
    }
}
