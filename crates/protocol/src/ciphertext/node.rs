//! Event data parsed just enough to check its shape: strings, non-negative integers and
//! objects with their members in order (duplicates kept, so they can be refused); every
//! other JSON value is only noted as "something else".
//!
//! `serde_json::Value` would silently keep the last of two members with the same name,
//! and the formats require duplicates to be refused.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One JSON value, as far as the shape check needs it.
#[derive(Debug, PartialEq)]
pub(super) enum Node {
    /// A string.
    Str(String),
    /// An integer from 0 to 2^64 − 1 written without fraction or exponent.
    UInt(u64),
    /// An object's members in the order written, duplicates included.
    Object(Vec<(String, Node)>),
    /// Anything else: null, a boolean, a negative or fractional number, an array.
    Other,
}

impl Node {
    /// Parses JSON text. `None` when it is not JSON (trailing characters included).
    pub(super) fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The members, if this is an object.
    pub(super) fn members(&self) -> Option<&[(String, Node)]> {
        match self {
            Self::Object(members) => Some(members),
            Self::Str(_) | Self::UInt(_) | Self::Other => None,
        }
    }

    /// The first member named `name`, if this is an object that has one.
    pub(super) fn get(&self, name: &str) -> Option<&Node> {
        self.members()?
            .iter()
            .find(|(member, _)| member == name)
            .map(|(_, value)| value)
    }

    /// The string, if this is one.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::UInt(_) | Self::Object(_) | Self::Other => None,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(u64::try_from(v).map_or(Node::Other, Node::UInt))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        // No accepted shape holds an array: its items are read and dropped.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Node>()? {
            members.push((name, value));
        }
        Ok(Node::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicates_and_order() {
        let node = Node::parse(r#"{"a":1,"b":"x","a":-1,"c":[1,{"d":2}],"e":1.5,"f":null}"#);
        let Some(Node::Object(members)) = node else {
            panic!("not an object: {node:?}");
        };
        let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "a", "c", "e", "f"]);
        assert_eq!(members[0].1, Node::UInt(1));
        assert_eq!(members[1].1, Node::Str("x".to_owned()));
        assert_eq!(members[2].1, Node::Other);
        assert_eq!(members[3].1, Node::Other);
        assert_eq!(members[4].1, Node::Other);
    }

    #[test]
    fn not_json_is_none() {
        for text in ["", "{", "{} x", "not json", "{\"a\":}"] {
            assert_eq!(Node::parse(text), None, "{text:?}");
        }
        assert_eq!(Node::parse(" 7 "), Some(Node::UInt(7)));
    }
}
