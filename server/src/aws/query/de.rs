//! `serde::Deserializer` over the folded [`Params`] tree (the mapping rules are in the parent
//! module's documentation).

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::{Params, QueryError, QueryErrorKind, truncate};

/// Deserializes `T` from the parameter tree (the root is the request's input structure).
pub(super) fn from_params<'de, T: de::Deserialize<'de>>(params: &'de Params) -> Result<T, QueryError> {
    T::deserialize(NodeDe { node: params, path: String::new() }).map_err(DeError::into_query_error)
}

/// The error while deserializing: either already tied to a parameter, or raised by a serde
/// visitor and waiting for the nearest node to say which parameter it concerns.
#[derive(Debug)]
pub(super) enum DeError {
    Located(QueryError),
    Custom(String),
    MissingField(&'static str),
}

impl DeError {
    fn into_query_error(self) -> QueryError {
        match self {
            DeError::Located(e) => e,
            DeError::Custom(msg) => QueryError::new(QueryErrorKind::InvalidParameterValue, msg),
            DeError::MissingField(field) => missing(field),
        }
    }

    /// Ties a visitor error to the parameter at `path`.
    fn locate(self, path: &str) -> DeError {
        match self {
            DeError::Located(_) => self,
            DeError::Custom(msg) => DeError::Located(QueryError::new(
                QueryErrorKind::InvalidParameterValue,
                if path.is_empty() {
                    format!("Invalid request: {msg}.")
                } else {
                    format!("Invalid value for parameter {path}: {msg}.")
                },
            )),
            DeError::MissingField(field) => DeError::Located(missing(&join(path, field))),
        }
    }
}

fn missing(param: &str) -> QueryError {
    QueryError::new(QueryErrorKind::MissingParameter, format!("The parameter {param} is required."))
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Located(e) => e.fmt(f),
            DeError::Custom(msg) => f.write_str(msg),
            DeError::MissingField(field) => write!(f, "missing parameter {field}"),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::MissingField(field)
    }
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() { segment.to_owned() } else { format!("{path}.{segment}") }
}

fn malformed(msg: String) -> DeError {
    DeError::Located(QueryError::new(QueryErrorKind::MalformedQueryString, msg))
}

fn invalid(path: &str, value: &str, expected: &str) -> DeError {
    DeError::Located(QueryError::new(
        QueryErrorKind::InvalidParameterValue,
        format!("Value '{}' for parameter {path} is invalid: expected {expected}.", truncate(value)),
    ))
}

/// A list index: decimal, ≥ 1, no leading zeros (so `1` and `01` cannot both name item 1).
fn parse_index(segment: &str) -> Option<u32> {
    if segment.is_empty() || segment.starts_with('0') || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

fn is_numeric(segment: &str) -> bool {
    segment.bytes().all(|b| b.is_ascii_digit())
}

/// Deserializer for one node of the tree; `path` is its AWS parameter name.
struct NodeDe<'de> {
    node: &'de Params,
    path: String,
}

impl<'de> NodeDe<'de> {
    fn child(&self, segment: &str, node: &'de Params) -> NodeDe<'de> {
        NodeDe { node, path: join(&self.path, segment) }
    }

    /// The node's value when it is a single value (no children).
    fn leaf(&self, expected: &str) -> Result<&'de str, DeError> {
        match (self.node.value(), self.node.is_leaf()) {
            (Some(v), true) => Ok(v),
            _ => Err(DeError::Located(QueryError::new(
                QueryErrorKind::InvalidParameterValue,
                format!("Parameter {} must be a single value ({expected}), not a structure or list.", self.display()),
            ))),
        }
    }

    fn display(&self) -> &str {
        if self.path.is_empty() { "(request)" } else { &self.path }
    }

    /// True for `Name=` with no children: the empty list / map / structure.
    fn is_empty_marker(&self) -> bool {
        self.node.is_leaf() && self.node.value().is_none_or(str::is_empty)
    }

    /// The items of a list, in ascending index order, with their parameter names.
    fn list_items(&self) -> Result<Vec<NodeDe<'de>>, DeError> {
        if self.node.is_leaf() {
            return if self.is_empty_marker() {
                Ok(Vec::new())
            } else {
                Err(invalid(&self.path, self.node.value().unwrap_or_default(), "a list (Name.member.N)"))
            };
        }
        let member = self.node.get("member");
        let has_numeric = self.node.children.keys().any(|k| is_numeric(k));
        let (container, prefix) = match (member, has_numeric) {
            (Some(_), true) => {
                return Err(malformed(format!(
                    "Parameter {} mixes Name.member.N and Name.N list items.",
                    self.display()
                )));
            }
            (Some(m), false) => (m, join(&self.path, "member")),
            (None, true) => (self.node, self.path.clone()),
            // Only unknown children: no items.
            (None, false) => return Ok(Vec::new()),
        };
        let mut items = Vec::with_capacity(container.children.len());
        for (segment, node) in &container.children {
            let index = parse_index(segment).ok_or_else(|| {
                malformed(format!("Parameter {}: '{}' is not a list index (1, 2, …).", join(&prefix, segment), segment))
            })?;
            items.push((index, NodeDe { node, path: join(&prefix, segment) }));
        }
        items.sort_by_key(|(index, _)| *index);
        Ok(items.into_iter().map(|(_, item)| item).collect())
    }

    /// The entries of a map (`Name.entry.N.key` / `.value`), in ascending index order.
    fn map_entries(&self) -> Result<Vec<(NodeDe<'de>, NodeDe<'de>)>, DeError> {
        if self.node.is_leaf() {
            return if self.is_empty_marker() {
                Ok(Vec::new())
            } else {
                Err(invalid(&self.path, self.node.value().unwrap_or_default(), "a map (Name.entry.N.key/value)"))
            };
        }
        let Some(entries) = self.node.get("entry") else { return Ok(Vec::new()) };
        let prefix = join(&self.path, "entry");
        let mut out = Vec::with_capacity(entries.children.len());
        for (segment, entry) in &entries.children {
            let index = parse_index(segment).ok_or_else(|| {
                malformed(format!(
                    "Parameter {}: '{}' is not an entry index (1, 2, …).",
                    join(&prefix, segment),
                    segment
                ))
            })?;
            let entry = NodeDe { node: entry, path: join(&prefix, segment) };
            let part = |name: &str| match entry.node.get(name) {
                Some(node) => Ok(entry.child(name, node)),
                None => Err(DeError::Located(missing(&join(&entry.path, name)))),
            };
            out.push((index, (part("key")?, part("value")?)));
        }
        out.sort_by_key(|(index, _)| *index);
        Ok(out.into_iter().map(|(_, kv)| kv).collect())
    }

    fn visit_struct<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_leaf() && !self.is_empty_marker() {
            return Err(invalid(&self.path, self.node.value().unwrap_or_default(), "a structure (Name.Member)"));
        }
        let fields: Vec<(&'de str, NodeDe<'de>)> =
            self.node.children.iter().map(|(k, node)| (k.as_str(), self.child(k, node))).collect();
        visitor
            .visit_map(StructAccess { fields: fields.into_iter(), pending: None })
            .map_err(|e: DeError| e.locate(&self.path))
    }
}

macro_rules! parse_scalar {
    ($($method:ident => $visit:ident : $ty:ty, $expected:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let text = self.leaf($expected)?;
            let value: $ty = text.trim().parse().map_err(|_| invalid(&self.path, text, $expected))?;
            visitor.$visit(value).map_err(|e: DeError| e.locate(&self.path))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value() {
            Some(v) if self.node.is_leaf() => visitor.visit_borrowed_str(v).map_err(|e: DeError| e.locate(&self.path)),
            _ => self.visit_struct(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let text = self.leaf("a boolean")?;
        let value = match text {
            "true" => true,
            "false" => false,
            _ => return Err(invalid(&self.path, text, "true or false")),
        };
        visitor.visit_bool(value).map_err(|e: DeError| e.locate(&self.path))
    }

    parse_scalar! {
        deserialize_i8 => visit_i8: i8, "an integer";
        deserialize_i16 => visit_i16: i16, "an integer";
        deserialize_i32 => visit_i32: i32, "an integer";
        deserialize_i64 => visit_i64: i64, "an integer";
        deserialize_i128 => visit_i128: i128, "an integer";
        deserialize_u8 => visit_u8: u8, "a non-negative integer";
        deserialize_u16 => visit_u16: u16, "a non-negative integer";
        deserialize_u32 => visit_u32: u32, "a non-negative integer";
        deserialize_u64 => visit_u64: u64, "a non-negative integer";
        deserialize_u128 => visit_u128: u128, "a non-negative integer";
        deserialize_f32 => visit_f32: f32, "a double";
        deserialize_f64 => visit_f64: f64, "a double";
        deserialize_char => visit_char: char, "a single character";
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let text = self.leaf("a string")?;
        visitor.visit_borrowed_str(text).map_err(|e: DeError| e.locate(&self.path))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Query blobs are base64 text; hand the text over and let the type decode it.
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Present key (this node exists) → Some; absent members never reach a deserializer.
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        let path = self.path.clone();
        visitor.visit_newtype_struct(self).map_err(|e: DeError| e.locate(&path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let items = self.list_items()?;
        visitor
            .visit_seq(de::value::SeqDeserializer::<_, DeError>::new(items.into_iter()))
            .map_err(|e: DeError| e.locate(&self.path))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let entries = self.map_entries()?;
        visitor
            .visit_map(EntryAccess { entries: entries.into_iter(), pending: None })
            .map_err(|e: DeError| e.locate(&self.path))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.visit_struct(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Query enums are unit variants named by their string value.
        let text = self.leaf("one of the allowed values")?;
        let access = BorrowedStrDeserializer::<DeError>::new(text);
        visitor.visit_enum(access).map_err(|e: DeError| e.locate(&self.path))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

impl<'de> IntoDeserializer<'de, DeError> for NodeDe<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Structure members: keys are the child segments.
struct StructAccess<'de> {
    fields: std::vec::IntoIter<(&'de str, NodeDe<'de>)>,
    pending: Option<NodeDe<'de>>,
}

impl<'de> de::MapAccess<'de> for StructAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some((key, node)) = self.fields.next() else { return Ok(None) };
        self.pending = Some(node);
        seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let node = self.pending.take().ok_or_else(|| de::Error::custom("value requested before key"))?;
        seed.deserialize(node)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// Map entries: keys and values are both nodes (`entry.N.key`, `entry.N.value`).
struct EntryAccess<'de> {
    entries: std::vec::IntoIter<(NodeDe<'de>, NodeDe<'de>)>,
    pending: Option<NodeDe<'de>>,
}

impl<'de> de::MapAccess<'de> for EntryAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        self.pending = Some(value);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let node = self.pending.take().ok_or_else(|| de::Error::custom("value requested before key"))?;
        seed.deserialize(node)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
