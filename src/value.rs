//! Records: dynamic values printed the way Spark's Scala API prints them.
//!
//! A scenario file or the REPL can build any pipeline, so every record is a [`Value`]:
//! null, bool, integer, float, string, tuple, option or sequence. `Display` follows Scala's
//! `toString`: tuples as `(hello,1)`, options as `Some(x)` / `None`, sequences with the name
//! of the collection Spark would hand you (`CompactBuffer(1, 2)` after `groupByKey`,
//! `ArrayBuffer(..)` after `groupByKeyAndWindow`, `List(..)` from an expression), doubles as
//! Java's `Double.toString` (`1.0`, `2.5`, `1.0E7`).
//!
//! Values are cheap to clone: strings, tuples and sequences share their contents (`Arc`).
//! Equality, order and hashing are total (floats compare by `total_cmp`), so any value can be
//! a key; the order across kinds is null < bool < int < float < string < tuple < option < seq.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The collection a sequence value came from; only its printed name depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqKind {
    /// Scala `List`: what expressions and `split` build (`List(a, b)`).
    List,
    /// Spark's `CompactBuffer`: the values of `groupByKey` and `cogroup`.
    CompactBuffer,
    /// Scala `ArrayBuffer`: the values of `groupByKeyAndWindow`.
    ArrayBuffer,
    /// A partition's array from `glom` (Scala prints a JVM address; we print `Array(..)`).
    Array,
    /// Scala's immutable `Set` (`.toSet`), in insertion order (Scala's own order for up to
    /// four elements; beyond four its hash trie's).
    Set,
    /// Scala's immutable `Map` of pairs (`.toMap`), printed `Map(k -> v, ...)`, in insertion
    /// order like `Set`.
    Map,
}

/// A string value. Strings of up to 14 bytes (most words) are stored inline, without an
/// allocation and without a shared reference count; longer ones are shared (`Arc`).
/// Equality, order and hashing are those of the `str` it holds.
#[derive(Clone)]
pub struct Text(TextRepr);

#[derive(Clone)]
enum TextRepr {
    Inline(u8, [u8; Text::INLINE]),
    Shared(Arc<String>),
}

impl Text {
    /// The longest string stored inline, in bytes.
    pub const INLINE: usize = 14;

    /// A text holding `s`.
    pub fn new(s: &str) -> Text {
        if s.len() <= Self::INLINE {
            let mut buf = [0u8; Self::INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Text(TextRepr::Inline(s.len() as u8, buf))
        } else {
            Text(TextRepr::Shared(Arc::new(s.to_string())))
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `Text::new` copies a whole `&str` (never a part of one) into the first
            // `len` bytes, and an inline text is never mutated, so they are valid UTF-8.
            // (Validating them again on every read cost ~9 % of the engine's word count.)
            TextRepr::Inline(len, buf) => unsafe {
                std::str::from_utf8_unchecked(&buf[..*len as usize])
            },
            TextRepr::Shared(s) => s,
        }
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            // Equal strings always have the same representation (`Text::new` chooses by
            // length) and unused inline bytes are zero, so the raw buffers can be compared.
            (TextRepr::Inline(a, x), TextRepr::Inline(b, y)) => a == b && x == y,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            // Consistent with `eq`: equal texts have equal representations.
            TextRepr::Inline(len, buf) => {
                let mut lo = [0u8; 8];
                let mut hi = [0u8; 8];
                lo[0] = *len;
                lo[1..].copy_from_slice(&buf[..7]);
                hi[..7].copy_from_slice(&buf[7..]);
                state.write_u64(u64::from_le_bytes(lo));
                state.write_u64(u64::from_le_bytes(hi));
            }
            TextRepr::Shared(s) => s.as_str().hash(state),
        }
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record (or a part of one).
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Scala `null` (and the JSON null of the oracle's case files).
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A Scala `Int` or `Long`.
    Int(i64),
    /// A Scala `Double`.
    Float(f64),
    /// A string.
    Str(Text),
    /// A tuple of two or more fields, printed `(a,b)`.
    Tuple(Arc<[Value]>),
    /// `Some(v)` or `None`.
    Opt(Option<Arc<Value>>),
    /// A sequence, printed with its collection's name.
    Seq(SeqKind, Arc<[Value]>),
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Text::new(s))
    }

    /// The pair `(k,v)`.
    pub fn pair(k: Value, v: Value) -> Value {
        // One allocation (a Vec would be allocated, copied into the Arc and freed).
        let fields: Arc<[Value]> = Arc::new([k, v]);
        Value::Tuple(fields)
    }

    /// A tuple of the given fields.
    pub fn tuple(fields: Vec<Value>) -> Value {
        Value::Tuple(Arc::from(fields))
    }

    /// A `List(..)` sequence.
    pub fn list(items: Vec<Value>) -> Value {
        Value::Seq(SeqKind::List, Arc::from(items))
    }

    /// A sequence of the given kind.
    pub fn seq(kind: SeqKind, items: Vec<Value>) -> Value {
        Value::Seq(kind, Arc::from(items))
    }

    /// `Some(v)`.
    pub fn some(v: Value) -> Value {
        Value::Opt(Some(Arc::new(v)))
    }

    /// `None`.
    pub fn none() -> Value {
        Value::Opt(None)
    }

    /// A copy that shares no memory with `self` (new `Arc`s all the way down). Threads that
    /// each work on their own deep copy never contend on reference counts.
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::Str(s) => Value::Str(Text::new(s)),
            Value::Tuple(f) => Value::Tuple(f.iter().map(Value::deep_copy).collect()),
            Value::Seq(k, items) => Value::Seq(*k, items.iter().map(Value::deep_copy).collect()),
            Value::Opt(Some(v)) => Value::Opt(Some(Arc::new(v.deep_copy()))),
            other => other.clone(),
        }
    }

    /// Approximate serialized size in bytes (8 per number, the UTF-8 length of strings, plus
    /// 4 per field of a tuple or element of a sequence): the cost model's "bytes moved".
    pub fn approx_bytes(&self) -> usize {
        match self {
            Value::Null | Value::Opt(None) => 1,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Float(_) => 8,
            Value::Str(s) => s.len() + 4,
            Value::Opt(Some(v)) => 1 + v.approx_bytes(),
            Value::Tuple(items) | Value::Seq(_, items) => {
                items.iter().map(|v| 4 + v.approx_bytes()).sum()
            }
        }
    }

    /// The key and value of a pair record, or `None` if this is not a 2-tuple.
    pub fn as_pair(&self) -> Option<(&Value, &Value)> {
        match self {
            Value::Tuple(f) if f.len() == 2 => Some((&f[0], &f[1])),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The kind's name as used in error messages (`string`, `int`, `tuple`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "double",
            Value::Str(_) => "string",
            Value::Tuple(_) => "tuple",
            Value::Opt(_) => "option",
            Value::Seq(..) => "sequence",
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Str(_) => 4,
            Value::Tuple(_) => 5,
            Value::Opt(_) => 6,
            Value::Seq(..) => 7,
        }
    }

    /// Java's `hashCode` of the value as Spark's `HashPartitioner` would see it, for the kinds
    /// whose JVM hash is simple (strings, ints, bools, null); other kinds use a fixed FNV hash.
    /// Only used to choose a shuffle partition (`nonNegativeMod(hash, numPartitions)`).
    pub fn partition_hash(&self) -> i32 {
        match self {
            Value::Null => 0,
            Value::Bool(b) => {
                if *b {
                    1231
                } else {
                    1237
                }
            }
            Value::Int(i) => {
                if let Ok(small) = i32::try_from(*i) {
                    small
                } else {
                    (*i ^ (*i >> 32)) as i32
                }
            }
            Value::Str(s) => {
                // java.lang.String.hashCode over UTF-16 code units (for ASCII, the bytes).
                let mut h: i32 = 0;
                if s.is_ascii() {
                    for b in s.bytes() {
                        h = h.wrapping_mul(31).wrapping_add(i32::from(b));
                    }
                } else {
                    for unit in s.encode_utf16() {
                        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
                    }
                }
                h
            }
            other => {
                let mut hasher = crate::value::FnvHasher::default();
                other.hash(&mut hasher);
                hasher.finish() as i32
            }
        }
    }

    /// The shuffle partition of this key among `n` partitions (Spark's `HashPartitioner`).
    pub fn partition_of(&self, n: usize) -> usize {
        let n = n.max(1) as i32;
        let m = self.partition_hash() % n;
        (if m < 0 { m + n } else { m }) as usize
    }
}

/// A small fixed hasher (FNV-1a) for deterministic hashing where `std`'s keyed hasher would
/// make output depend on the process.
#[derive(Default)]
pub struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // The hot cases of shuffles (string and integer keys) compare directly; all
            // others agree with `Ord` (floats by `total_cmp`).
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            _ => self.cmp(other) == Ordering::Equal,
        }
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Tuple(a), Value::Tuple(b)) => a.iter().cmp(b.iter()),
            (Value::Opt(a), Value::Opt(b)) => a.cmp(b),
            (Value::Seq(_, a), Value::Seq(_, b)) => a.iter().cmp(b.iter()),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Value::Null => {}
            Value::Bool(b) => b.hash(state),
            Value::Int(i) => i.hash(state),
            Value::Float(x) => x.to_bits().hash(state),
            Value::Str(s) => s.hash(state),
            Value::Tuple(f) => f.hash(state),
            Value::Opt(o) => o.hash(state),
            Value::Seq(_, items) => items.hash(state),
        }
    }
}

/// Formats a double as Java's `Double.toString` does: at least one digit after the point,
/// scientific notation (`1.0E7`, `1.0E-4`) outside [1e-3, 1e7).
pub fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let abs = x.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Rust's `{:e}` gives the shortest round-trip digits, e.g. `1e7` or `1.5e-5`.
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&java_double(*x)),
            Value::Str(s) => f.write_str(s),
            Value::Tuple(fields) => {
                f.write_str("(")?;
                for (i, v) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
            Value::Opt(None) => f.write_str("None"),
            Value::Opt(Some(v)) => write!(f, "Some({v})"),
            Value::Seq(kind, items) => {
                let name = match kind {
                    SeqKind::List => "List",
                    SeqKind::CompactBuffer => "CompactBuffer",
                    SeqKind::ArrayBuffer => "ArrayBuffer",
                    SeqKind::Array => "Array",
                    SeqKind::Set => "Set",
                    SeqKind::Map => "Map",
                };
                write!(f, "{name}(")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match (kind, v) {
                        (SeqKind::Map, Value::Tuple(kv)) if kv.len() == 2 => {
                            write!(f, "{} -> {}", kv[0], kv[1])?
                        }
                        _ => write!(f, "{v}")?,
                    }
                }
                f.write_str(")")
            }
        }
    }
}

/// Values serialize to JSON as the oracle's case files write them: tuples and sequences as
/// arrays, `Some(v)` as `v`, `None` as null.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null | Value::Opt(None) => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(x) => s.serialize_f64(*x),
            Value::Str(v) => s.serialize_str(v),
            Value::Opt(Some(v)) => v.serialize(s),
            Value::Tuple(items) | Value::Seq(_, items) => items.serialize(s),
        }
    }
}

impl Value {
    /// Converts a JSON value of the oracle's case format into a record: arrays of 2 or 3
    /// become tuples, other arrays sequences (`List`), integers `Int`, other numbers `Float`.
    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(items) => {
                let items: Vec<Value> = items.iter().map(Value::from_json).collect();
                if items.len() == 2 || items.len() == 3 {
                    Value::tuple(items)
                } else {
                    Value::list(items)
                }
            }
            serde_json::Value::Object(_) => Value::str(&j.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_scala() {
        let v = Value::pair(
            Value::str("a"),
            Value::pair(Value::Int(1), Value::some(Value::str("x"))),
        );
        assert_eq!(v.to_string(), "(a,(1,Some(x)))");
        let v = Value::pair(Value::str("b"), Value::pair(Value::Int(2), Value::none()));
        assert_eq!(v.to_string(), "(b,(2,None))");
        let v = Value::seq(SeqKind::CompactBuffer, vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(v.to_string(), "CompactBuffer(1, 2)");
        assert_eq!(Value::Float(1.0).to_string(), "1.0");
        assert_eq!(Value::Float(2.5).to_string(), "2.5");
        assert_eq!(Value::Float(1e7).to_string(), "1.0E7");
        assert_eq!(Value::Float(1.5e-5).to_string(), "1.5E-5");
        assert_eq!(Value::Float(-0.25).to_string(), "-0.25");
    }

    #[test]
    fn partition_hash_matches_java_string_hash_code() {
        // "hello".hashCode() == 99162322 on the JVM.
        assert_eq!(Value::str("hello").partition_hash(), 99_162_322);
        assert_eq!(Value::str("").partition_hash(), 0);
        assert_eq!(Value::Int(-3).partition_of(2), 1);
    }
}
