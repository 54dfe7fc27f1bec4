//! A TOML table read value by value, so that every error names the value's path.
//!
//! Deserializing with serde would report a wrong type or an unknown key with a line number
//! but without the path (`apps[1].limits`), and with the offending line quoted, which may
//! hold a secret. Reading the parsed table by hand gives exact paths and quotes nothing.

use std::ops::RangeInclusive;

use toml::{Table, Value};
use zeroize::Zeroize;

use super::ConfigError;

/// One table being read. Each read removes its key, so what is left at the end is unknown.
pub(super) struct Fields {
    /// The table's own path: empty at the root, `apps[0]`, `apps[0].limits`, ...
    path: String,
    table: Table,
    /// Every key asked for, for the "expected one of" list of an unknown key.
    known: Vec<&'static str>,
}

impl Fields {
    pub(super) fn root(table: Table) -> Self {
        Self::new(String::new(), table)
    }

    fn new(path: String, table: Table) -> Self {
        Self {
            path,
            table,
            known: Vec::new(),
        }
    }

    /// The path of `key` in this table.
    pub(super) fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn take(&mut self, key: &'static str) -> Option<Value> {
        self.known.push(key);
        self.table.remove(key)
    }

    fn wrong_type(&self, key: &str, expected: &'static str) -> ConfigError {
        ConfigError::WrongType {
            field: self.path_of(key),
            expected,
        }
    }

    /// Fails with [`ConfigError::Missing`] for `key`.
    pub(super) fn missing<T>(&self, key: &str) -> Result<T, ConfigError> {
        Err(ConfigError::Missing {
            field: self.path_of(key),
        })
    }

    /// A string, if present.
    pub(super) fn string(&mut self, key: &'static str) -> Result<Option<String>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    /// A string that must be present.
    pub(super) fn required_string(&mut self, key: &'static str) -> Result<String, ConfigError> {
        match self.string(key)? {
            Some(s) => Ok(s),
            None => self.missing(key),
        }
    }

    /// A secret string handed to `parse`, then wiped (best effort: the file's text and
    /// the TOML parser's buffers held it too).
    pub(super) fn secret<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
        rule: &'static str,
    ) -> Result<T, ConfigError> {
        let mut text = self.required_string(key)?;
        let parsed = parse(&text);
        text.zeroize();
        parsed.ok_or_else(|| ConfigError::Invalid {
            field: self.path_of(key),
            rule,
        })
    }

    /// A boolean, if present.
    pub(super) fn bool(&mut self, key: &'static str) -> Result<Option<bool>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(b)),
            Some(_) => Err(self.wrong_type(key, "true or false")),
        }
    }

    /// An integer in `range`, if present.
    pub(super) fn integer<T: TryFrom<u64>>(
        &mut self,
        key: &'static str,
        range: RangeInclusive<u64>,
    ) -> Result<Option<T>, ConfigError> {
        let n = match self.take(key) {
            None => return Ok(None),
            Some(Value::Integer(n)) => n,
            Some(_) => return Err(self.wrong_type(key, "an integer")),
        };
        u64::try_from(n)
            .ok()
            .filter(|n| range.contains(n))
            .and_then(|n| T::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| ConfigError::OutOfRange {
                field: self.path_of(key),
                min: *range.start(),
                max: *range.end(),
            })
    }

    /// An array of strings, each with its path (`apps[0].allowed_origins[2]`).
    pub(super) fn strings(
        &mut self,
        key: &'static str,
    ) -> Result<Vec<(String, String)>, ConfigError> {
        self.array(
            key,
            "an array of strings",
            "a string",
            |path, item| match item {
                Value::String(s) => Some((path, s)),
                _ => None,
            },
        )
    }

    /// An array of strings, each with its path, or `None` when the key is absent (so
    /// that an empty array can mean something else than the default).
    pub(super) fn optional_strings(
        &mut self,
        key: &'static str,
    ) -> Result<Option<Vec<(String, String)>>, ConfigError> {
        if self.table.contains_key(key) {
            self.strings(key).map(Some)
        } else {
            self.known.push(key);
            Ok(None)
        }
    }

    /// A sub-table (`[tls]`), if present.
    pub(super) fn table(&mut self, key: &'static str) -> Result<Option<Self>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Table(table)) => Ok(Some(Self::new(self.path_of(key), table))),
            Some(_) => Err(self.wrong_type(key, "a table")),
        }
    }

    /// An array of tables (`[[apps]]`), empty if absent.
    pub(super) fn tables(&mut self, key: &'static str) -> Result<Vec<Self>, ConfigError> {
        self.array(
            key,
            "an array of tables",
            "a table",
            |path, item| match item {
                Value::Table(table) => Some(Self::new(path, table)),
                _ => None,
            },
        )
    }

    /// An array, empty if absent, each item converted with its path (`{key}[{i}]`) by
    /// `item`, which answers `None` for an item of the wrong type.
    fn array<T>(
        &mut self,
        key: &'static str,
        expected_array: &'static str,
        expected_item: &'static str,
        item: impl Fn(String, Value) -> Option<T>,
    ) -> Result<Vec<T>, ConfigError> {
        let items = match self.take(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(self.wrong_type(key, expected_array)),
        };
        let base = self.path_of(key);
        items
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let path = format!("{base}[{i}]");
                item(path.clone(), value).ok_or(ConfigError::WrongType {
                    field: path,
                    expected: expected_item,
                })
            })
            .collect()
    }

    /// Fails on the first key that was never asked for.
    pub(super) fn finish(self) -> Result<(), ConfigError> {
        match self.table.keys().next() {
            None => Ok(()),
            Some(key) => {
                let mut expected = self.known.clone();
                expected.sort_unstable();
                Err(ConfigError::UnknownKey {
                    field: self.path_of(&display_key(key)),
                    expected,
                })
            }
        }
    }
}

/// A key as written in a path: bare when it can be, quoted otherwise.
fn display_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}
