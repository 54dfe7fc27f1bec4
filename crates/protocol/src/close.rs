//! WebSocket close codes of protocol 7 and what a client does after each: all close-code
//! semantics live here, in one place.
//!
//! From the protocol's "Connection closure" and "Error codes" sections:
//! - 4000–4099: the connection must not be re-established unchanged (4000: reconnect
//!   using TLS, pusher-js action `tls_only`; others `refused`);
//! - 4100–4199: reconnect after backing off (at least 1 s; pusher-js `backoff`);
//! - 4200–4299: reconnect immediately (pusher-js `retry`);
//! - 4300–4399: any other error; pusher-js treats these, and every code ≥ 4300, as
//!   `refused`.
//!
//! Domvia adds one code in the 4300 range, [`CloseCode::PlaintextRefused`] (4302), sent only
//! as a `pusher:error` code (like 4301 below the abuse threshold): the connection stays
//! open.
//!
//! pusher-js's `getCloseAction` (`src/core/connection/protocol/protocol.ts`) implements the
//! same ranges; [`Reconnect::for_code`] mirrors it for codes we do not name.
//!
//! ```
//! use domvia_protocol::{CloseCode, Reconnect};
//!
//! let code = CloseCode::PongNotReceived;
//! assert_eq!(code.code(), 4201);
//! assert_eq!(code.reconnect(), Reconnect::Immediately);
//! assert!(code.reconnect().should_reconnect() && !code.reconnect().backoff());
//! assert_eq!(CloseCode::from_code(4100), Some(CloseCode::OverCapacity));
//! # Ok::<(), std::convert::Infallible>(())
//! ```

/// Every close code protocol 7 defines, and Domvia's 4302.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum CloseCode {
    /// 4000: the application only accepts TLS connections; reconnect using `wss://`.
    SslOnly,
    /// 4001: the application does not exist (unknown app key).
    AppDoesNotExist,
    /// 4003: the application is disabled.
    AppDisabled,
    /// 4004: the application is over its connection quota.
    OverConnectionQuota,
    /// 4005: path not found.
    PathNotFound,
    /// 4006: the version string is not in a valid format.
    InvalidVersionFormat,
    /// 4007: the protocol version is not supported.
    UnsupportedProtocolVersion,
    /// 4008: no protocol version was supplied.
    NoProtocolVersion,
    /// 4009: the connection is unauthorized (e.g. no user signed in within the timeout
    /// on an app that requires it).
    Unauthorized,
    /// 4100: over capacity; reconnect after backing off.
    OverCapacity,
    /// 4200: generic "reconnect immediately" (e.g. the server is shutting down).
    ReconnectImmediately,
    /// 4201: a ping was sent but no pong came back in time.
    PongNotReceived,
    /// 4202: closed after inactivity, for clients that do not support ping.
    ClosedAfterInactivity,
    /// 4301: a client event was rejected by the rate limit.
    ClientEventRateLimit,
    /// 4302 (Domvia): a client event on a ciphertext-only channel was not an end-to-end
    /// encrypted envelope (`spec/ciphertext-only-channels.md`). Sent as `pusher:error`'s
    /// code; the connection is not closed.
    PlaintextRefused,
}

/// What a client does after a close, per the code's range.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Reconnect {
    /// Reconnect, but only over TLS (4000; pusher-js `tls_only`).
    UsingTls,
    /// Do not reconnect (4001–4099 and ≥ 4300; pusher-js `refused`).
    Refused,
    /// Reconnect after backing off (4100–4199; pusher-js `backoff`).
    AfterBackoff,
    /// Reconnect immediately (4200–4299; pusher-js `retry`).
    Immediately,
}

impl Reconnect {
    /// The action for any application close code ≥ 4000, named or not, by range.
    ///
    /// Returns `None` for codes below 4000: those are WebSocket codes (RFC 6455), outside
    /// the Pusher protocol's ranges.
    #[must_use]
    pub fn for_code(code: u16) -> Option<Self> {
        match code {
            0..=3999 => None,
            4000 => Some(Self::UsingTls),
            4001..=4099 => Some(Self::Refused),
            4100..=4199 => Some(Self::AfterBackoff),
            4200..=4299 => Some(Self::Immediately),
            4300..=u16::MAX => Some(Self::Refused),
        }
    }

    /// Whether the client will connect again.
    #[must_use]
    pub fn should_reconnect(self) -> bool {
        match self {
            Self::UsingTls | Self::AfterBackoff | Self::Immediately => true,
            Self::Refused => false,
        }
    }

    /// Whether the client waits (backs off) before connecting again.
    #[must_use]
    pub fn backoff(self) -> bool {
        match self {
            Self::AfterBackoff => true,
            Self::UsingTls | Self::Refused | Self::Immediately => false,
        }
    }
}

impl CloseCode {
    /// Every named code, in ascending order.
    pub const ALL: [Self; 15] = [
        Self::SslOnly,
        Self::AppDoesNotExist,
        Self::AppDisabled,
        Self::OverConnectionQuota,
        Self::PathNotFound,
        Self::InvalidVersionFormat,
        Self::UnsupportedProtocolVersion,
        Self::NoProtocolVersion,
        Self::Unauthorized,
        Self::OverCapacity,
        Self::ReconnectImmediately,
        Self::PongNotReceived,
        Self::ClosedAfterInactivity,
        Self::ClientEventRateLimit,
        Self::PlaintextRefused,
    ];

    /// The numeric code, for the WebSocket close frame and `pusher:error`'s `code`.
    #[must_use]
    pub fn code(self) -> u16 {
        match self {
            Self::SslOnly => 4000,
            Self::AppDoesNotExist => 4001,
            Self::AppDisabled => 4003,
            Self::OverConnectionQuota => 4004,
            Self::PathNotFound => 4005,
            Self::InvalidVersionFormat => 4006,
            Self::UnsupportedProtocolVersion => 4007,
            Self::NoProtocolVersion => 4008,
            Self::Unauthorized => 4009,
            Self::OverCapacity => 4100,
            Self::ReconnectImmediately => 4200,
            Self::PongNotReceived => 4201,
            Self::ClosedAfterInactivity => 4202,
            Self::ClientEventRateLimit => 4301,
            Self::PlaintextRefused => 4302,
        }
    }

    /// The named code for `code`, if the protocol defines one.
    #[must_use]
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Human-readable text for the close frame's reason and `pusher:error`'s `message`
    /// (well under the 123-byte limit of a close reason).
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Self::SslOnly => "Application only accepts SSL connections, reconnect using wss://",
            Self::AppDoesNotExist => "Application does not exist",
            Self::AppDisabled => "Application disabled",
            Self::OverConnectionQuota => "Application is over connection quota",
            Self::PathNotFound => "Path not found",
            Self::InvalidVersionFormat => "Invalid version string format",
            Self::UnsupportedProtocolVersion => "Unsupported protocol version",
            Self::NoProtocolVersion => "No protocol version supplied",
            Self::Unauthorized => "Connection is unauthorized",
            Self::OverCapacity => "Over capacity",
            Self::ReconnectImmediately => "Generic reconnect immediately",
            Self::PongNotReceived => "Pong reply not received",
            Self::ClosedAfterInactivity => "Closed after inactivity",
            Self::ClientEventRateLimit => "Client event rejected due to rate limit",
            Self::PlaintextRefused => {
                "Client event rejected: this channel accepts only end-to-end encrypted envelopes"
            }
        }
    }

    /// What the client does after this close (by the code's range).
    #[must_use]
    pub fn reconnect(self) -> Reconnect {
        match self {
            Self::SslOnly => Reconnect::UsingTls,
            Self::AppDoesNotExist
            | Self::AppDisabled
            | Self::OverConnectionQuota
            | Self::PathNotFound
            | Self::InvalidVersionFormat
            | Self::UnsupportedProtocolVersion
            | Self::NoProtocolVersion
            | Self::Unauthorized
            | Self::ClientEventRateLimit
            | Self::PlaintextRefused => Reconnect::Refused,
            Self::OverCapacity => Reconnect::AfterBackoff,
            Self::ReconnectImmediately | Self::PongNotReceived | Self::ClosedAfterInactivity => {
                Reconnect::Immediately
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_codes_agree_with_their_range() {
        for code in CloseCode::ALL {
            assert_eq!(
                Reconnect::for_code(code.code()),
                Some(code.reconnect()),
                "{code:?}"
            );
            assert_eq!(CloseCode::from_code(code.code()), Some(code));
            assert!(code.reason().len() <= 123, "{code:?}");
        }
        let mut codes: Vec<u16> = CloseCode::ALL.iter().map(|c| c.code()).collect();
        let sorted = {
            let mut s = codes.clone();
            s.sort_unstable();
            s.dedup();
            s
        };
        assert_eq!(codes, sorted, "ALL is ascending and unique");
        codes.clear();
    }

    #[test]
    fn ranges_match_pusher_js_get_close_action() {
        let cases = [
            (1000, None),
            (3999, None),
            (4000, Some(Reconnect::UsingTls)),
            (4002, Some(Reconnect::Refused)),
            (4099, Some(Reconnect::Refused)),
            (4100, Some(Reconnect::AfterBackoff)),
            (4199, Some(Reconnect::AfterBackoff)),
            (4200, Some(Reconnect::Immediately)),
            (4299, Some(Reconnect::Immediately)),
            (4300, Some(Reconnect::Refused)),
            (4999, Some(Reconnect::Refused)),
        ];
        for (code, action) in cases {
            assert_eq!(Reconnect::for_code(code), action, "{code}");
        }
        assert_eq!(CloseCode::from_code(4002), None);
    }

    #[test]
    fn reconnect_predicates() {
        assert!(Reconnect::UsingTls.should_reconnect() && !Reconnect::UsingTls.backoff());
        assert!(!Reconnect::Refused.should_reconnect() && !Reconnect::Refused.backoff());
        assert!(Reconnect::AfterBackoff.should_reconnect() && Reconnect::AfterBackoff.backoff());
        assert!(Reconnect::Immediately.should_reconnect() && !Reconnect::Immediately.backoff());
    }
}
