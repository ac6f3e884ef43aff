//! XML rendering of Query responses and errors: a small `serde::Serializer` that writes
//! elements straight into a `String` (the mapping rules are in the parent module's
//! documentation).

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::{CLOUDWATCH_XMLNS, Fault};
use crate::aws::timestamp::{TIMESTAMP_NEWTYPE, Timestamp};

/// A value the XML serializer cannot render (an unsupported serde shape, a timestamp out of
/// range, an operation name that is not an XML name). These are server bugs, not client errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError(String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot render Query XML: {}", self.0)
    }
}

impl std::error::Error for XmlError {}

impl ser::Error for XmlError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        XmlError(msg.to_string())
    }
}

/// Renders `<{op}Response xmlns=…><{op}Result>…</{op}Result><ResponseMetadata>…` for a
/// CloudWatch operation. The output's members become the children of `<{op}Result>`;
/// pass `&()` for operations without output, which get only `ResponseMetadata`.
pub(crate) fn response_xml<T: Serialize + ?Sized>(op: &str, output: &T, request_id: &str) -> Result<String, XmlError> {
    if op.is_empty() || !op.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(XmlError(format!("operation name {op:?} is not a plain XML name")));
    }
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = write!(out, "<{op}Response xmlns=\"{CLOUDWATCH_XMLNS}\">");
    let result = format!("{op}Result");
    output.serialize(ElementSer { out: &mut out, name: &result })?;
    out.push_str("<ResponseMetadata><RequestId>");
    escape_into(&mut out, request_id);
    out.push_str("</RequestId></ResponseMetadata>");
    let _ = write!(out, "</{op}Response>");
    Ok(out)
}

/// Renders `<ErrorResponse>` with the query error code, fault side and message.
pub(crate) fn error_xml(fault: Fault, code: &str, message: &str, request_id: &str) -> String {
    let mut out = String::with_capacity(256 + message.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = write!(out, "<ErrorResponse xmlns=\"{CLOUDWATCH_XMLNS}\"><Error><Type>{}</Type><Code>", fault.as_str());
    escape_into(&mut out, code);
    out.push_str("</Code><Message>");
    escape_into(&mut out, message);
    out.push_str("</Message></Error><RequestId>");
    escape_into(&mut out, request_id);
    out.push_str("</RequestId></ErrorResponse>");
    out
}

/// Appends `text` escaped for XML 1.0 character data (also safe inside double- or
/// single-quoted attributes). Characters XML 1.0 cannot represent become U+FFFD.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A literal CR would be normalised to LF by the reader.
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
}

/// Shortest round-trip decimal for finite values (`1.0`, `0.1`, `1e-7`); `NaN`, `Infinity`,
/// `-Infinity` otherwise.
pub(crate) fn format_f64(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity".to_owned() } else { "-Infinity".to_owned() }
    } else {
        format!("{v:?}")
    }
}

fn format_f32(v: f32) -> String {
    if v.is_finite() { format!("{v:?}") } else { format_f64(f64::from(v)) }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Serializes one value as the element `<name>…</name>` (nothing at all for `None` / unit).
struct ElementSer<'a> {
    out: &'a mut String,
    name: &'a str,
}

impl ElementSer<'_> {
    fn text(self, text: &str) -> Result<(), XmlError> {
        let _ = write!(self.out, "<{}>", self.name);
        escape_into(self.out, text);
        let _ = write!(self.out, "</{}>", self.name);
        Ok(())
    }

    fn open(&mut self) {
        let _ = write!(self.out, "<{}>", self.name);
    }
}

macro_rules! display_scalar {
    ($($method:ident: $ty:ty;)*) => {$(
        fn $method(self, v: $ty) -> Result<(), XmlError> {
            self.text(&v.to_string())
        }
    )*};
}

impl<'a> ser::Serializer for ElementSer<'a> {
    type Ok = ();
    type Error = XmlError;
    type SerializeSeq = ListSer<'a>;
    type SerializeTuple = ListSer<'a>;
    type SerializeTupleStruct = ListSer<'a>;
    type SerializeTupleVariant = Impossible<(), XmlError>;
    type SerializeMap = MapSer<'a>;
    type SerializeStruct = StructSer<'a>;
    type SerializeStructVariant = Impossible<(), XmlError>;

    display_scalar! {
        serialize_bool: bool;
        serialize_i8: i8;
        serialize_i16: i16;
        serialize_i32: i32;
        serialize_i64: i64;
        serialize_i128: i128;
        serialize_u8: u8;
        serialize_u16: u16;
        serialize_u32: u32;
        serialize_u64: u64;
        serialize_u128: u128;
        serialize_char: char;
    }

    fn serialize_f32(self, v: f32) -> Result<(), XmlError> {
        self.text(&format_f32(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), XmlError> {
        self.text(&format_f64(v))
    }

    fn serialize_str(self, v: &str) -> Result<(), XmlError> {
        self.text(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), XmlError> {
        self.text(&base64(v))
    }

    fn serialize_none(self) -> Result<(), XmlError> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), XmlError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), XmlError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), XmlError> {
        Ok(())
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), XmlError> {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<(), XmlError> {
        if name == TIMESTAMP_NEWTYPE {
            let secs = serde_json::to_value(value)
                .ok()
                .and_then(|v| v.as_f64())
                .ok_or_else(|| XmlError("a timestamp that is not a finite number".to_owned()))?;
            let iso =
                Timestamp(secs).to_iso8601().ok_or_else(|| XmlError(format!("timestamp {secs} is out of range")))?;
            return self.text(&iso);
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), XmlError> {
        // A union member: <Name><Variant>…</Variant></Name>.
        self.open();
        value.serialize(ElementSer { out: self.out, name: variant })?;
        let _ = write!(self.out, "</{}>", self.name);
        Ok(())
    }

    fn serialize_seq(mut self, _len: Option<usize>) -> Result<ListSer<'a>, XmlError> {
        self.open();
        Ok(ListSer { out: self.out, name: self.name })
    }

    fn serialize_tuple(self, len: usize) -> Result<ListSer<'a>, XmlError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<ListSer<'a>, XmlError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, XmlError> {
        Err(XmlError(format!("tuple variant {name}::{variant} has no Query form")))
    }

    fn serialize_map(mut self, _len: Option<usize>) -> Result<MapSer<'a>, XmlError> {
        self.open();
        Ok(MapSer { out: self.out, name: self.name })
    }

    fn serialize_struct(mut self, _name: &'static str, _len: usize) -> Result<StructSer<'a>, XmlError> {
        self.open();
        Ok(StructSer { out: self.out, name: self.name })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, XmlError> {
        Err(XmlError(format!("struct variant {name}::{variant} has no Query form")))
    }
}

/// `<Name><member>…</member>…</Name>`.
struct ListSer<'a> {
    out: &'a mut String,
    name: &'a str,
}

impl ListSer<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        value.serialize(ElementSer { out: self.out, name: "member" })
    }

    fn close(self) -> Result<(), XmlError> {
        let _ = write!(self.out, "</{}>", self.name);
        Ok(())
    }
}

impl ser::SerializeSeq for ListSer<'_> {
    type Ok = ();
    type Error = XmlError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        self.item(value)
    }

    fn end(self) -> Result<(), XmlError> {
        self.close()
    }
}

impl ser::SerializeTuple for ListSer<'_> {
    type Ok = ();
    type Error = XmlError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        self.item(value)
    }

    fn end(self) -> Result<(), XmlError> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for ListSer<'_> {
    type Ok = ();
    type Error = XmlError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        self.item(value)
    }

    fn end(self) -> Result<(), XmlError> {
        self.close()
    }
}

/// `<Name><entry><key>…</key><value>…</value></entry>…</Name>`.
struct MapSer<'a> {
    out: &'a mut String,
    name: &'a str,
}

impl ser::SerializeMap for MapSer<'_> {
    type Ok = ();
    type Error = XmlError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), XmlError> {
        self.out.push_str("<entry>");
        key.serialize(ElementSer { out: self.out, name: "key" })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        value.serialize(ElementSer { out: self.out, name: "value" })?;
        self.out.push_str("</entry>");
        Ok(())
    }

    fn end(self) -> Result<(), XmlError> {
        let _ = write!(self.out, "</{}>", self.name);
        Ok(())
    }
}

/// `<Name><Member>…</Member>…</Name>`.
struct StructSer<'a> {
    out: &'a mut String,
    name: &'a str,
}

impl ser::SerializeStruct for StructSer<'_> {
    type Ok = ();
    type Error = XmlError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), XmlError> {
        value.serialize(ElementSer { out: self.out, name: key })
    }

    fn end(self) -> Result<(), XmlError> {
        let _ = write!(self.out, "</{}>", self.name);
        Ok(())
    }
}
