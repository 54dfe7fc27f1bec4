//! A byte buffer for plaintext: wiped in bulk when it grows and when it is dropped.
//!
//! `Zeroizing<Vec<u8>>` wipes one byte at a time and cannot see the copies a `Vec` leaves
//! behind when it reallocates. This buffer never reallocates behind our back: it grows
//! only through [`SecretBuf::reserve`], which copies into a fresh allocation and wipes
//! the old one, and it wipes its whole allocation (length and spare capacity) on drop.

use zeroize::Zeroize;

/// See the module documentation.
pub(crate) struct SecretBuf(Vec<u8>);

impl SecretBuf {
    /// An empty buffer with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }

    /// A copy of `bytes`, with room for `extra` more.
    pub(crate) fn copy_of(bytes: &[u8], extra: usize) -> Self {
        let mut buf = Self::with_capacity(bytes.len().saturating_add(extra));
        buf.0.extend_from_slice(bytes);
        buf
    }

    /// Makes room for `additional` more bytes, at least doubling the allocation when it
    /// has to move, and wiping the allocation it leaves.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let needed = self.0.len().saturating_add(additional);
        if needed > self.0.capacity() {
            let mut grown = Self::with_capacity(needed.max(self.0.capacity().saturating_mul(2)));
            grown.0.extend_from_slice(&self.0);
            // The old allocation is wiped by its Drop.
            std::mem::swap(self, &mut grown);
        }
    }

    /// Appends `bytes`, growing through [`SecretBuf::reserve`].
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// Sets the length, filling with zeros; never reallocates without wiping.
    pub(crate) fn resize(&mut self, len: usize) {
        self.reserve(len.saturating_sub(self.0.len()));
        self.0.resize(len, 0);
    }

    /// Shortens the buffer; the cut bytes are wiped with the rest on drop.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// The inner `Vec`, for an AEAD that appends its tag in place. The caller must have
    /// reserved the room first, so that the `Vec` does not reallocate.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn vec_within_capacity(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    /// Takes the contents out once they are no longer secret (after encryption).
    pub(crate) fn into_public(mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

impl std::ops::Deref for SecretBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::DerefMut for SecretBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl Drop for SecretBuf {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
        self.0.spare_capacity_mut().zeroize();
    }
}

impl std::io::Write for SecretBuf {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer for serializing a payload without knowing its size: it fills chunks of
/// doubling size, so nothing is copied while writing, and [`ChunkWriter::finish`] copies
/// each byte once into a buffer of the final size (or hands back the only chunk when it
/// already has room). Every chunk is a [`SecretBuf`].
pub(crate) struct ChunkWriter {
    chunks: Vec<SecretBuf>,
    len: usize,
}

impl ChunkWriter {
    /// The first chunk's capacity: a typical chat payload fits.
    const FIRST_CHUNK: usize = 512;

    /// A writer whose output starts with `prefix`.
    pub(crate) fn with_prefix(prefix: &[u8]) -> Self {
        let mut first = SecretBuf::with_capacity(Self::FIRST_CHUNK.max(prefix.len()));
        first.extend_from_slice(prefix);
        Self {
            chunks: vec![first],
            len: prefix.len(),
        }
    }

    /// Bytes written so far, prefix included.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Everything written, in one buffer with capacity for at least `capacity` bytes.
    pub(crate) fn finish(mut self, capacity: usize) -> SecretBuf {
        if let [only] = self.chunks.as_mut_slice()
            && only.0.capacity() >= capacity
        {
            return std::mem::replace(only, SecretBuf::with_capacity(0));
        }
        let mut out = SecretBuf::with_capacity(capacity.max(self.len));
        for chunk in &self.chunks {
            out.0.extend_from_slice(chunk);
        }
        out
    }
}

impl ChunkWriter {
    /// The path for a write that does not fit the current chunk.
    fn write_spilling(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = self
                .chunks
                .last()
                .map_or(0, |c| c.0.capacity().saturating_sub(c.len()));
            if room == 0 {
                let last = self
                    .chunks
                    .last()
                    .map_or(Self::FIRST_CHUNK, |c| c.0.capacity());
                let next = last.saturating_mul(2).max(rest.len().min(1 << 20));
                self.chunks.push(SecretBuf::with_capacity(next));
                continue;
            }
            let (now, later) = rest.split_at(room.min(rest.len()));
            if let Some(chunk) = self.chunks.last_mut() {
                chunk.0.extend_from_slice(now);
            }
            rest = later;
        }
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // serde_json writes token by token: keep the common case (it fits) short.
        match self.chunks.last_mut() {
            Some(chunk) if chunk.0.capacity().saturating_sub(chunk.0.len()) >= bytes.len() => {
                chunk.0.extend_from_slice(bytes);
            }
            _ => self.write_spilling(bytes),
        }
        self.len = self.len.saturating_add(bytes.len());
        Ok(bytes.len())
    }
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write(bytes).map(drop)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_keeps_contents_and_capacity_rules() {
        let mut b = SecretBuf::with_capacity(2);
        b.extend_from_slice(b"abc");
        assert_eq!(&*b, b"abc");
        assert!(b.0.capacity() >= 4);
        b.resize(10);
        assert_eq!(&b[3..], &[0; 7]);
        b.truncate(2);
        assert_eq!(&*b, b"ab");
        let c = SecretBuf::copy_of(b"xyz", 16);
        assert!(c.0.capacity() >= 19);
        assert_eq!(c.into_public(), b"xyz");
    }

    #[test]
    fn chunk_writer_concatenates_in_order() {
        use std::io::Write;
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
        let mut w = ChunkWriter::with_prefix(&[9, 9]);
        for piece in data.chunks(37) {
            w.write_all(piece).unwrap();
        }
        assert_eq!(w.len(), 5002);
        let out = w.finish(6000);
        assert_eq!(&out[..2], &[9, 9]);
        assert_eq!(&out[2..], &data[..]);
        assert!(out.0.capacity() >= 6000);

        let mut small = ChunkWriter::with_prefix(&[0; 4]);
        small.write_all(b"{}").unwrap();
        let out = small.finish(100);
        assert_eq!(&*out, b"\0\0\0\0{}");
    }

    #[test]
    fn copy_keeps_room() {
        let c = SecretBuf::copy_of(b"xyz", 16);
        assert!(c.0.capacity() >= 19);
        assert_eq!(c.into_public(), b"xyz");
    }
}
