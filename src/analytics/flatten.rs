//! A row's key and value as flat typed cells, read from their own serde
//! `Serialize` implementation (no hand-written description of any row
//! type): a struct's fields become `a.b` columns, a tuple's `a.0`, `a.1`;
//! newtypes are transparent; `Option` gives a null or its value; a unit
//! enum variant is its name (a string); integers, floats, booleans and
//! strings are themselves (dates, times, ids and money in their own serde
//! form: ISO-8601 strings, UUID strings, integer fen); a sequence, a map
//! or an enum variant with data is one JSON string cell. `()` gives no
//! cell (a table used as a set has only key columns).

use serde::ser::{self, Impossible, Serialize};

/// One cell of a flattened row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    /// An unsigned integer past `i64::MAX` (e.g. a newest-first key).
    UInt(u64),
    Float(f64),
    Str(String),
    /// A sequence, a map or an enum variant with data, as JSON.
    Json(String),
}

/// Why a value could not be flattened.
#[derive(Debug, thiserror::Error)]
pub enum FlattenError {
    /// Not an error: the value at this path is a sequence, a map or an
    /// enum variant with data; the caller writes it as one JSON cell.
    #[error("a value that is written as JSON")]
    Complex,
    /// The value's `Serialize` failed, or its JSON did.
    #[error("{0}")]
    Custom(String),
}

impl ser::Error for FlattenError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        FlattenError::Custom(message.to_string())
    }
}

/// Appends the cells of `value` under `prefix` (empty: top level, where a
/// lone scalar is named `leaf`) to `out`.
pub fn flatten_into<T: Serialize + ?Sized>(
    prefix: &str,
    leaf: &str,
    value: &T,
    out: &mut Vec<(String, Cell)>,
) -> Result<(), FlattenError> {
    let path = if prefix.is_empty() {
        String::new()
    } else {
        prefix.to_owned()
    };
    field(path, leaf, value, out)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Flattens `value` at `path`; a complex value becomes one JSON cell.
fn field<T: Serialize + ?Sized>(
    path: String,
    leaf: &str,
    value: &T,
    out: &mut Vec<(String, Cell)>,
) -> Result<(), FlattenError> {
    let mark = out.len();
    let name = if path.is_empty() {
        leaf.to_owned()
    } else {
        path.clone()
    };
    match value.serialize(Flattener {
        path: &path,
        leaf,
        out,
    }) {
        Err(FlattenError::Complex) => {
            out.truncate(mark);
            let json = serde_json::to_string(value)
                .map_err(|error| FlattenError::Custom(error.to_string()))?;
            out.push((name, Cell::Json(json)));
            Ok(())
        }
        other => other,
    }
}

struct Flattener<'a> {
    path: &'a str,
    leaf: &'a str,
    out: &'a mut Vec<(String, Cell)>,
}

impl Flattener<'_> {
    fn push(self, cell: Cell) -> Result<(), FlattenError> {
        let name = if self.path.is_empty() {
            self.leaf.to_owned()
        } else {
            self.path.to_owned()
        };
        self.out.push((name, cell));
        Ok(())
    }
}

/// The fields of a struct or the elements of a tuple being flattened.
struct Compound<'a> {
    path: &'a str,
    leaf: &'a str,
    out: &'a mut Vec<(String, Cell)>,
    index: usize,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), FlattenError> {
        let path = join(self.path, &self.index.to_string());
        self.index += 1;
        field(path, self.leaf, value, self.out)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = FlattenError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), FlattenError> {
        field(join(self.path, key), self.leaf, value, self.out)
    }
    fn end(self) -> Result<(), FlattenError> {
        Ok(())
    }
}

/// Tuples and tuple structs: each element under its index.
macro_rules! elements_by_index {
    ($($serialize:ident :: $element:ident),+) => {$(
        impl ser::$serialize for Compound<'_> {
            type Ok = ();
            type Error = FlattenError;
            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), FlattenError> {
                self.element(value)
            }
            fn end(self) -> Result<(), FlattenError> {
                Ok(())
            }
        }
    )+};
}

elements_by_index!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// The integers that fit an i64: one `Cell::Int` each.
macro_rules! serialize_as_int {
    ($($method:ident: $int:ty),+ $(,)?) => {$(
        fn $method(self, v: $int) -> Result<(), FlattenError> {
            self.push(Cell::Int(v.into()))
        }
    )+};
}

impl<'a> ser::Serializer for Flattener<'a> {
    type Ok = ();
    type Error = FlattenError;
    type SerializeSeq = Impossible<(), FlattenError>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Impossible<(), FlattenError>;
    type SerializeMap = Impossible<(), FlattenError>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Impossible<(), FlattenError>;

    fn serialize_bool(self, v: bool) -> Result<(), FlattenError> {
        self.push(Cell::Bool(v))
    }
    serialize_as_int!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
    );
    fn serialize_i64(self, v: i64) -> Result<(), FlattenError> {
        self.push(Cell::Int(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), FlattenError> {
        match i64::try_from(v) {
            Ok(v) => self.push(Cell::Int(v)),
            Err(_) => self.push(Cell::UInt(v)),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<(), FlattenError> {
        self.push(Cell::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<(), FlattenError> {
        self.push(Cell::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<(), FlattenError> {
        self.push(Cell::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<(), FlattenError> {
        self.push(Cell::Str(v.to_owned()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), FlattenError> {
        Err(FlattenError::Complex)
    }
    fn serialize_none(self) -> Result<(), FlattenError> {
        self.push(Cell::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), FlattenError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), FlattenError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), FlattenError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), FlattenError> {
        self.push(Cell::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), FlattenError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), FlattenError> {
        Err(FlattenError::Complex)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, FlattenError> {
        Err(FlattenError::Complex)
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, FlattenError> {
        Ok(Compound {
            path: self.path,
            leaf: self.leaf,
            out: self.out,
            index: 0,
        })
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, FlattenError> {
        self.serialize_tuple(0)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, FlattenError> {
        Err(FlattenError::Complex)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, FlattenError> {
        Err(FlattenError::Complex)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, FlattenError> {
        self.serialize_tuple(0)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, FlattenError> {
        Err(FlattenError::Complex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    enum Kind {
        Call,
        #[allow(dead_code)]
        Other(String),
    }

    #[derive(Serialize)]
    struct Inner {
        fen: u64,
        note: Option<String>,
    }

    #[derive(Serialize)]
    struct Row {
        kind: Kind,
        inner: Inner,
        tags: Vec<String>,
        rate: f64,
    }

    #[test]
    fn structs_flatten_options_null_enums_name_and_seqs_are_json() {
        let mut out = Vec::new();
        let row = Row {
            kind: Kind::Call,
            inner: Inner {
                fen: 12,
                note: None,
            },
            tags: vec!["a".into()],
            rate: 0.5,
        };
        flatten_into("", "value", &row, &mut out).expect("flattens");
        flatten_into("key", "key", &("r", 7u32), &mut out).expect("flattens");
        flatten_into("", "value", &Kind::Other("x".into()), &mut out).expect("flattens");
        flatten_into("", "value", &(), &mut out).expect("flattens");
        assert_eq!(
            out,
            vec![
                ("kind".into(), Cell::Str("Call".into())),
                ("inner.fen".into(), Cell::Int(12)),
                ("inner.note".into(), Cell::Null),
                ("tags".into(), Cell::Json("[\"a\"]".into())),
                ("rate".into(), Cell::Float(0.5)),
                ("key.0".into(), Cell::Str("r".into())),
                ("key.1".into(), Cell::Int(7)),
                ("value".into(), Cell::Json("{\"Other\":\"x\"}".into())),
            ]
        );
        let mut out = Vec::new();
        flatten_into("key", "key", &(u64::MAX, 1u64), &mut out).expect("flattens");
        assert_eq!(
            out,
            vec![
                ("key.0".into(), Cell::UInt(u64::MAX)),
                ("key.1".into(), Cell::Int(1))
            ]
        );
    }
}
