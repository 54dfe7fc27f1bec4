//! What strong privacy mode costs per message, against the irreducible floor.
//!
//! Three payloads, one criterion group each, all `ChatPayload { body, sender_id, sent_at }`
//! so every function pays the same typed serde cost; throughput is the payload's JSON
//! length:
//!
//! - `json_200B`: a chat line (the common case; fixed per-envelope costs dominate);
//! - `json_4KiB`: a WebRTC SDP offer carried in `body` (call signaling);
//! - `json_64KiB`: a long pasted note of mixed ASCII prose (bulk cost dominates).
//!
//! Each group measures:
//!
//! | function | what one iteration does |
//! |---|---|
//! | `ours/round_trip` | `encrypt_chat_json` then `decrypt_chat_json::<ChatPayload>` |
//! | `ours/wire_round_trip` | the same with `Envelope::to_json` and `Envelope::from_json` in between: what really crosses the gateway |
//! | `ours/seal_only` | `encrypt_chat_json` alone |
//! | `ours/open_only` | `decrypt_chat_json` of an envelope made outside the loop |
//! | `ours/wire_encode` | `Envelope::to_json` of a ready envelope (base64url + JSON) |
//! | `ours/wire_decode` | `Envelope::from_json` of ready wire text (JSON + strict base64url) |
//! | `ours/bytes_round_trip` | `seal_bytes` of the pre-serialized JSON then `open_bytes` (the binding's path: no JSON work inside) |
//! | `floor/json_plus_aead` | `serde_json::to_vec`, aws-lc-rs AES-256-GCM seal and open with one `LessSafeKey` built outside the loop (fixed IV, same AAD bytes as ours), `serde_json::from_slice` |
//! | `floor/aead_only` | that AES-256-GCM seal and open of the pre-serialized JSON bytes (copied into a reused buffer) |
//!
//! The floor is what any design needs: JSON in and out and one AEAD pass each way. What
//! ours adds on top is the envelope design: HKDF-Expand and an AES key schedule per
//! envelope (spec/envelope-v1.md section 4), the commitment check, building the AAD, the
//! length-prefix framing and the wiping buffers; the wire form adds base64url.
//!
//! Targets, as ratios of medians from the same run:
//!
//! - `ours/round_trip` / `floor/json_plus_aead` at most 1.5 at 200 B;
//! - at 64 KiB, at most 1.3 × `floor/aead_only` for the path that does no JSON work
//!   (`ours/bytes_round_trip`); the typed path is held to `floor/json_plus_aead`, since
//!   JSON alone costs about as much as AES-GCM there.
//!
//! After criterion's run the bench measures each of these ratios again with the two sides
//! interleaved batch by batch (61 rounds), and prints the median and quartiles: on a
//! shared two-core machine that is far steadier than dividing medians taken minutes apart.
//! `cargo bench -p domvia-e2ee --bench envelope -- --ratios-only` skips criterion.
//!
//! Run with `cargo bench -p domvia-e2ee --bench envelope` (under three minutes); medians
//! land in `target/criterion/<group>/<function>/new/estimates.json`. For a profile, pass
//! criterion's `--profile-time 10 <filter>` to the bench binary under `perf record`.

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use criterion::{Criterion, Throughput};
use domvia_e2ee::{
    AesGcmKey, ChatContext, Context, Envelope, KeyLabel, SealOptions, decrypt_chat_json,
    encrypt_chat_json, open_bytes, seal_bytes,
};
use serde::{Deserialize, Serialize};

type BenchResult<T> = Result<T, Box<dyn Error>>;

/// The application's chat payload, typed on both sides as a real client would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ChatPayload {
    body: String,
    sender_id: String,
    sent_at: u64,
}

/// A fixed, random-looking IV for the floor. Reusing it is wrong in production and
/// irrelevant to timing.
const FLOOR_IV: [u8; 12] = [
    0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c, 0x15, 0xf3, 0x9c, 0xc0, 0x60,
];

const CHAT_TEXT: &str = "Running about ten minutes late, the train stopped outside Utrecht \
    again. Could you grab the table by the window? I'll bring the slides for Thursday's review.";

const SDP_OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS 7f3c2a9e-1b4d\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Xk3d\r\na=ice-pwd:q9Lr2vPz8mWc1TnB6yHs0aGe\r\n\
a=ice-options:trickle\r\na=fingerprint:sha-256 4C:9B:1E:77:A0:3F:D2:58:6E:C1:90:2B:8D:\
F4:13:A6:5C:E8:07:B9:32:DD:4F:61:AE:95:0C:7A:E3:28:B4:1D\r\na=setup:actpass\r\na=mid:0\r\n\
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n\
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendrecv\r\n\
a=msid:7f3c2a9e-1b4d 5d0e8c61-aa02\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n\
a=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\na=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:13 CN/8000\r\n\
a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n\
a=ssrc:3735928559 cname:Qm8s2LxV0eTz4pKa\r\na=ssrc:3735928559 msid:7f3c2a9e-1b4d 5d0e8c61-aa02\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 45 46\r\nc=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Xk3d\r\na=ice-pwd:q9Lr2vPz8mWc1TnB6yHs0aGe\r\n\
a=ice-options:trickle\r\na=setup:actpass\r\na=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\n\
a=rtcp-rsize\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\n\
a=rtcp-fb:96 transport-cc\r\na=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\n\
a=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n\
a=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=0\r\na=rtpmap:99 rtx/90000\r\n\
a=fmtp:99 apt=98\r\na=rtpmap:100 H264/90000\r\n\
a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n\
a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\na=rtpmap:45 AV1/90000\r\n\
a=rtpmap:46 rtx/90000\r\na=fmtp:46 apt=45\r\n\
a=ssrc-group:FID 2882400018 1450204331\r\na=ssrc:2882400018 cname:Qm8s2LxV0eTz4pKa\r\n\
a=ssrc:1450204331 cname:Qm8s2LxV0eTz4pKa\r\n\
a=candidate:1467250027 1 udp 2122260223 192.168.1.23 52748 typ host generation 0\r\n\
a=candidate:2999745851 1 udp 1686052607 203.0.113.47 52748 typ srflx raddr 192.168.1.23 \
rport 52748 generation 0\r\n\
a=candidate:434472043 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0\r\n\
a=candidate:3320587961 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.47 \
rport 52748 generation 0\r\n";

const NOTE_TEXT: &str = "Minutes, platform sync (week 14)\n\nAttendees: Ana, Bram, Chen, \
    Dilan and Eva. Bram opened with the incident from Tuesday: between 09:12 and 09:47 UTC the \
    presence service dropped roughly 3.5% of member_added events after a Redis failover; \
    clients reconnected, but \"who is online\" lists were stale for up to 40 seconds.\n\n\
    Decisions: (1) fan-out retries move behind a bounded queue of 10,000 events per node; \
    (2) the webhook signer rotates its secret every 90 days, announced 14 days ahead; \
    (3) strong privacy mode becomes the default for new rooms, with padding set to \
    'power-of-two' for chat and 'none' for call signaling.\n\nOpen questions: Chen asked \
    whether 64 KiB notes should be split client-side; Eva will measure p50/p99 latency at \
    200 B, 4 KiB and 64 KiB before Friday. Action items: Dilan to draft the key-rotation \
    runbook (owner: Dilan, due 2025-04-18); Ana to update the SDK docs & examples; Bram to \
    add alerts when replay-guard rejections exceed 0.1% of opens over 5 minutes.\n\n";

/// The payloads: group name, exact JSON length, body source text (cycled).
const SIZES: [(&str, usize, &str); 3] = [
    ("json_200B", 200, CHAT_TEXT),
    ("json_4KiB", 4096, SDP_OFFER),
    ("json_64KiB", 65_536, NOTE_TEXT),
];

/// A payload whose compact JSON is exactly `target` bytes: whole characters of `source`
/// (cycled) while they fit, escaped as `serde_json` escapes them, then spaces.
fn payload_of_len(target: usize, source: &str) -> BenchResult<ChatPayload> {
    let mut payload = ChatPayload {
        body: String::new(),
        sender_id: "user-1".to_owned(),
        sent_at: 1_760_000_000_000,
    };
    let mut len = serde_json::to_vec(&payload)?.len();
    let mut utf8 = [0u8; 4];
    for ch in source.chars().cycle() {
        // The quoted JSON string's length, less its two quotes.
        let escaped = serde_json::to_string(ch.encode_utf8(&mut utf8))?
            .len()
            .saturating_sub(2);
        if len.saturating_add(escaped) > target {
            break;
        }
        payload.body.push(ch);
        len = len.saturating_add(escaped);
    }
    while len < target {
        payload.body.push(' ');
        len = len.saturating_add(1);
    }
    let actual = serde_json::to_vec(&payload)?.len();
    if actual != target {
        return Err(format!("payload is {actual} bytes of JSON, wanted {target}").into());
    }
    Ok(payload)
}

/// Keys and context shared by every benchmark.
struct Fixture {
    key: AesGcmKey,
    context: ChatContext,
    label: KeyLabel,
    floor_key: LessSafeKey,
    /// The AAD ours builds per message, computed once for the floor.
    floor_aad: Vec<u8>,
}

impl Fixture {
    fn new() -> BenchResult<Self> {
        let context = ChatContext::parse("room-42", "msg-0001")?;
        let label = KeyLabel::parse(Some("room-42-v1"), 1)?;
        let floor_aad = Context::from(context.clone()).associated_data(&label);
        let floor_key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[0x5c; 32])?);
        Ok(Self {
            key: AesGcmKey::from_bytes([0x42; 32]),
            context,
            label,
            floor_key,
            floor_aad,
        })
    }

    fn round_trip(&self, payload: &ChatPayload) -> BenchResult<ChatPayload> {
        let envelope = encrypt_chat_json(payload, &self.key, &self.context, &self.label)?;
        Ok(decrypt_chat_json(&envelope, &self.key, &self.context)?)
    }

    fn bytes_round_trip(&self, json: &[u8]) -> BenchResult<usize> {
        let context = Context::from(self.context.clone());
        let envelope = seal_bytes(
            json,
            &self.key,
            &context,
            &self.label,
            &SealOptions::default(),
        )?;
        Ok(open_bytes(&envelope, &self.key, &context)?.len())
    }

    fn wire_round_trip(&self, payload: &ChatPayload) -> BenchResult<ChatPayload> {
        let envelope = encrypt_chat_json(payload, &self.key, &self.context, &self.label)?;
        let wire = envelope.to_json();
        let received = Envelope::from_json(black_box(&wire))?;
        Ok(decrypt_chat_json(&received, &self.key, &self.context)?)
    }

    fn floor_seal(&self, buf: &mut Vec<u8>) -> BenchResult<()> {
        let aad = Aad::from(self.floor_aad.as_slice());
        Ok(self.floor_key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(FLOOR_IV),
            aad,
            buf,
        )?)
    }

    fn floor_open<'b>(&self, buf: &'b mut [u8]) -> BenchResult<&'b mut [u8]> {
        let aad = Aad::from(self.floor_aad.as_slice());
        Ok(self
            .floor_key
            .open_in_place(Nonce::assume_unique_for_key(FLOOR_IV), aad, buf)?)
    }

    fn floor_json_plus_aead(&self, payload: &ChatPayload) -> BenchResult<ChatPayload> {
        let mut buf = serde_json::to_vec(payload)?;
        self.floor_seal(&mut buf)?;
        Ok(serde_json::from_slice(self.floor_open(&mut buf)?)?)
    }

    /// Seal and open `json` through `buf`, which is reused so no allocation is timed.
    fn floor_aead_only(&self, json: &[u8], buf: &mut Vec<u8>) -> BenchResult<usize> {
        buf.clear();
        buf.extend_from_slice(json);
        self.floor_seal(buf)?;
        Ok(self.floor_open(buf)?.len())
    }
}

/// One payload size, with everything the loops need made beforehand.
struct Case {
    name: &'static str,
    payload: ChatPayload,
    json: Vec<u8>,
    envelope: Envelope,
    wire: String,
}

impl Case {
    fn new(fx: &Fixture, name: &'static str, target: usize, source: &str) -> BenchResult<Self> {
        let payload = payload_of_len(target, source)?;
        let json = serde_json::to_vec(&payload)?;
        let envelope = encrypt_chat_json(&payload, &fx.key, &fx.context, &fx.label)?;
        let wire = envelope.to_json();
        Ok(Self {
            name,
            payload,
            json,
            envelope,
            wire,
        })
    }

    /// Every measured path must really round-trip, or the loops would time an error path.
    fn check(&self, fx: &Fixture) -> BenchResult<()> {
        let mut buf = Vec::new();
        let ok = fx.round_trip(&self.payload)? == self.payload
            && fx.wire_round_trip(&self.payload)? == self.payload
            && fx.floor_json_plus_aead(&self.payload)? == self.payload
            && fx.floor_aead_only(&self.json, &mut buf)? == self.json.len()
            && fx.bytes_round_trip(&self.json)? == self.json.len()
            && decrypt_chat_json::<ChatPayload>(&self.envelope, &fx.key, &fx.context)?
                == self.payload
            && Envelope::from_json(&self.wire)? == self.envelope;
        if ok {
            Ok(())
        } else {
            Err(format!("{}: a path does not round-trip", self.name).into())
        }
    }
}

fn bench_case(c: &mut Criterion, fx: &Fixture, case: &Case) -> BenchResult<()> {
    let mut group = c.benchmark_group(case.name);
    group.throughput(Throughput::Bytes(u64::try_from(case.json.len())?));
    let payload = &case.payload;

    group.bench_function("ours/round_trip", |b| {
        b.iter(|| fx.round_trip(black_box(payload)));
    });
    group.bench_function("ours/wire_round_trip", |b| {
        b.iter(|| fx.wire_round_trip(black_box(payload)));
    });
    group.bench_function("ours/seal_only", |b| {
        b.iter(|| encrypt_chat_json(black_box(payload), &fx.key, &fx.context, &fx.label));
    });
    group.bench_function("ours/open_only", |b| {
        b.iter(|| {
            decrypt_chat_json::<ChatPayload>(black_box(&case.envelope), &fx.key, &fx.context)
        });
    });
    group.bench_function("ours/wire_encode", |b| {
        b.iter(|| black_box(&case.envelope).to_json());
    });
    group.bench_function("ours/wire_decode", |b| {
        b.iter(|| Envelope::from_json(black_box(&case.wire)));
    });
    group.bench_function("ours/bytes_round_trip", |b| {
        b.iter(|| fx.bytes_round_trip(black_box(&case.json)));
    });
    group.bench_function("floor/json_plus_aead", |b| {
        b.iter(|| fx.floor_json_plus_aead(black_box(payload)));
    });
    let mut buf = Vec::with_capacity(case.json.len().saturating_add(AES_256_GCM.tag_len()));
    group.bench_function("floor/aead_only", |b| {
        b.iter(|| fx.floor_aead_only(black_box(&case.json), &mut buf));
    });
    group.finish();
    Ok(())
}

fn main() -> BenchResult<()> {
    let fx = Fixture::new()?;
    let cases = SIZES
        .iter()
        .map(|&(name, target, source)| Case::new(&fx, name, target, source))
        .collect::<BenchResult<Vec<_>>>()?;
    for case in &cases {
        case.check(&fx)?;
    }
    if std::env::args().any(|a| a == "--ratios-only") {
        return print_ratios(&fx, &cases);
    }
    // Modest settings so the 24 benchmarks finish in under three minutes on two cores;
    // command-line flags still override them.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    for case in &cases {
        bench_case(&mut c, &fx, case)?;
    }
    c.final_summary();
    // Profiling and smoke-test runs (`--profile-time`, `--test`) skip the ratios.
    if std::env::args().any(|a| a == "--profile-time" || a == "--test") {
        return Ok(());
    }
    print_ratios(&fx, &cases)
}

/// Times `a` against `b` interleaved: rounds of one batch each, in alternating order, and
/// returns the quartiles of the per-round ratios `a / b`. Noise on a shared machine comes
/// in phases longer than a batch, so ratios of neighbouring batches are far steadier than
/// ratios of medians taken minutes apart.
fn interleaved_ratio(
    mut a: impl FnMut() -> BenchResult<()>,
    mut b: impl FnMut() -> BenchResult<()>,
) -> BenchResult<[f64; 3]> {
    const ROUNDS: usize = 61;
    let time = |f: &mut dyn FnMut() -> BenchResult<()>, n: u32| -> BenchResult<f64> {
        let start = Instant::now();
        for _ in 0..n {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64())
    };
    // Calibrate a batch of `b` to about two milliseconds.
    let mut n = 1u32;
    while time(&mut b, n)? < 0.002 && n < 1 << 20 {
        n = n.saturating_mul(2);
    }
    let mut ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let (ta, tb) = if round % 2 == 0 {
            let ta = time(&mut a, n)?;
            (ta, time(&mut b, n)?)
        } else {
            let tb = time(&mut b, n)?;
            (time(&mut a, n)?, tb)
        };
        ratios.push(ta / tb);
    }
    ratios.sort_by(f64::total_cmp);
    let q = |p: usize| {
        ratios
            .get(ROUNDS.saturating_mul(p) / 4)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok([q(1), q(2), q(3)])
}

/// Prints each ratio the targets name, measured interleaved (see [`interleaved_ratio`]).
#[expect(
    clippy::print_stdout,
    reason = "the bench reports its ratios on the terminal"
)]
fn print_ratios(fx: &Fixture, cases: &[Case]) -> BenchResult<()> {
    println!("\nratios, interleaved in this run: median [quartiles]; lower is better");
    for case in cases {
        let payload = &case.payload;
        let mut floor_buf =
            Vec::with_capacity(case.json.len().saturating_add(AES_256_GCM.tag_len()));
        let rows: [(&str, &str, [f64; 3]); 3] = [
            (
                "ours/round_trip",
                "floor/json_plus_aead",
                interleaved_ratio(
                    || fx.round_trip(black_box(payload)).map(drop),
                    || fx.floor_json_plus_aead(black_box(payload)).map(drop),
                )?,
            ),
            (
                "ours/wire_round_trip",
                "floor/json_plus_aead",
                interleaved_ratio(
                    || fx.wire_round_trip(black_box(payload)).map(drop),
                    || fx.floor_json_plus_aead(black_box(payload)).map(drop),
                )?,
            ),
            (
                "ours/bytes_round_trip",
                "floor/aead_only",
                interleaved_ratio(
                    || fx.bytes_round_trip(black_box(&case.json)).map(drop),
                    || {
                        fx.floor_aead_only(black_box(&case.json), &mut floor_buf)
                            .map(drop)
                    },
                )?,
            ),
        ];
        for (ours, floor, [q1, q2, q3]) in rows {
            println!(
                "  {:<11} {ours:<22} / {floor:<21} = {q2:>5.2}  [{q1:.2} – {q3:.2}]",
                case.name
            );
        }
    }
    Ok(())
}
