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
            // copied by at most two overlapping fixed-size loads and stores (no `memcpy`
            // call for a variable length); the bytes past the end stay zero
            let b = s.as_bytes();
            let len = b.len();
            let mut wide = [0u8; 16];
            match len {
                0 => {}
                1..=3 => {
                    wide[0] = b[0];
                    wide[len / 2] = b[len / 2];
                    wide[len - 1] = b[len - 1];
                }
                4..=7 => {
                    wide[..4].copy_from_slice(&b[..4]);
                    wide[len - 4..len].copy_from_slice(&b[len - 4..]);
                }
                _ => {
                    wide[..8].copy_from_slice(&b[..8]);
                    wide[len - 8..len].copy_from_slice(&b[len - 8..]);
                }
            }
            let mut buf = [0u8; Self::INLINE];
            buf.copy_from_slice(&wide[..Self::INLINE]);
            Text(TextRepr::Inline(len as u8, buf))
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
            (TextRepr::Inline(a, x), TextRepr::Inline(b, y)) => a == b && inline_eq(x, y),
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

impl Text {
    /// Hashes `s` exactly as `Value::Str(Text::new(s))` hashes (kind, then text), without
    /// building the text: a table keyed by values can then look up a borrowed word.
    pub fn hash_str_value<H: Hasher>(s: &str, state: &mut H) {
        Value::STR_RANK.hash(state);
        hash_text(s, state);
    }
}

/// Whether two inline buffers are equal: two overlapping 8-byte loads each (a `[u8; 14]`
/// comparison calls `memcmp`).
#[inline]
fn inline_eq(x: &[u8; Text::INLINE], y: &[u8; Text::INLINE]) -> bool {
    let word = |b: &[u8; Text::INLINE], at: usize| {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
    };
    word(x, 0) == word(y, 0) && word(x, 6) == word(y, 6)
}

impl Text {
    /// Whether the text is `s` (as `self.as_str() == s`, without a `memcmp` call for the
    /// short strings words are).
    #[inline]
    pub fn eq_str(&self, s: &str) -> bool {
        let (a, b) = (self.as_bytes(), s.as_bytes());
        let len = a.len();
        if len != b.len() {
            return false;
        }
        let word =
            |x: &[u8], at: usize| u64::from_le_bytes(x[at..at + 8].try_into().unwrap_or([0; 8]));
        let half =
            |x: &[u8], at: usize| u32::from_le_bytes(x[at..at + 4].try_into().unwrap_or([0; 4]));
        match len {
            0 => true,
            1..=3 => a[0] == b[0] && a[len / 2] == b[len / 2] && a[len - 1] == b[len - 1],
            4..=7 => half(a, 0) == half(b, 0) && half(a, len - 4) == half(b, len - 4),
            8..=16 => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
            _ => a == b,
        }
    }
}

/// The hash of a text: a string of up to 16 bytes (every word) as two words loaded straight
/// from its bytes (overlapping loads that cover every byte, the length mixed in), longer
/// ones as `str` hashes. Only tables use it (nothing printed depends on a hash).
#[inline]
fn hash_text<H: Hasher>(s: &str, state: &mut H) {
    let b = s.as_bytes();
    let len = b.len();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            b[at..at + 4].try_into().unwrap_or([0; 4]),
        ))
    };
    let (lo, hi) = match len {
        0 => (0, 0),
        1..=3 => (
            u64::from(b[0]) | u64::from(b[len / 2]) << 8 | u64::from(b[len - 1]) << 16,
            0,
        ),
        4..=7 => (half(0), half(len - 4)),
        8..=16 => (word(0), word(len - 8)),
        _ => {
            s.hash(state);
            return;
        }
    };
    state.write_u64(lo ^ (len as u64) << 56);
    state.write_u64(hi);
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_text(self.as_str(), state);
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
    // Inlined for the scalars every record holds; the nested kinds recurse out of line.
    #[inline]
    pub fn approx_bytes(&self) -> usize {
        match self {
            Value::Null | Value::Opt(None) => 1,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Float(_) => 8,
            Value::Str(s) => s.len() + 4,
            nested => nested.approx_bytes_nested(),
        }
    }

    /// [`Value::approx_bytes`] of an option, tuple or sequence.
    #[inline(never)]
    fn approx_bytes_nested(&self) -> usize {
        match self {
            Value::Opt(Some(v)) => 1 + v.approx_bytes(),
            Value::Tuple(items) | Value::Seq(_, items) => {
                items.iter().map(|v| 4 + v.approx_bytes()).sum()
            }
            scalar => scalar.approx_bytes(),
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

    /// [`Value::rank`] of a string.
    const STR_RANK: u8 = 4;

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Str(_) => Value::STR_RANK,
            Value::Tuple(_) => 5,
            Value::Opt(_) => 6,
            Value::Seq(..) => 7,
        }
    }

    /// The JVM's `hashCode` of the value as Spark's `HashPartitioner` sees it (`key.hashCode`):
    /// `java.lang.String.hashCode`, `Integer`/`Long`/`Double`/`Boolean.hashCode` (an `Int` that
    /// fits 32 bits is an `Integer`), and Scala 2.12's `MurmurHash3` for products and
    /// collections (tuples and `Some` by `productHash`, `List`/`CompactBuffer`/`ArrayBuffer` by
    /// `seqHash`, `Set`/`Map` by `setHash`/`mapHash`, each element by its `##`: see
    /// [`murmur3`]). `None` is `"None".hashCode`. A glom `Array` hashes by identity on the
    /// JVM (Spark refuses array keys for hash shuffles): a fixed FNV hash stands in.
    /// Only used to choose a shuffle partition (`nonNegativeMod(hash, numPartitions)`) and an
    /// `AppendOnlyMap` slot. Pinned by `scripts/spark-diff-hashes.scala` (Scala 2.12.18).
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
            Value::Int(i) => match i32::try_from(*i) {
                Ok(small) => small,
                Err(_) => murmur3::long_hash_code(*i),
            },
            Value::Float(x) => murmur3::double_hash_code(*x),
            Value::Str(s) => murmur3::string_hash_code(s),
            Value::Tuple(fields) => murmur3::product_hash(fields),
            Value::Opt(Some(v)) => murmur3::product_hash(std::slice::from_ref(v.as_ref())),
            Value::Opt(None) => murmur3::string_hash_code("None"),
            Value::Seq(kind, items) => match kind {
                SeqKind::List | SeqKind::CompactBuffer | SeqKind::ArrayBuffer => {
                    murmur3::ordered_hash(items, murmur3::seq_seed())
                }
                SeqKind::Set => murmur3::unordered_hash(items, murmur3::set_seed()),
                SeqKind::Map => murmur3::unordered_hash(items, murmur3::map_seed()),
                SeqKind::Array => {
                    let mut hasher = crate::value::FnvHasher::default();
                    self.hash(&mut hasher);
                    hasher.finish() as i32
                }
            },
        }
    }

    /// Scala's `##` of the value (`scala.runtime.Statics.anyHash`): `hashCode`, except that a
    /// boxed `Long` or `Double` hashes as the `Int` (or `Long`) of equal value when it has
    /// one, so `(1L, 2.0)` hashes like `(1, 2)`. This is what `MurmurHash3` mixes for each
    /// element of a tuple or collection.
    pub fn scala_hash(&self) -> i32 {
        match self {
            Value::Float(x) => murmur3::double_hash(*x),
            other => other.partition_hash(),
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

/// The order in which Spark's `AppendOnlyMap` (core/src/main/scala/org/apache/spark/util/
/// collection/AppendOnlyMap.scala, under every `ExternalAppendOnlyMap` of a shuffle's reduce
/// side, `CoGroupedRDD` and `distinct`) iterates `keys`, given as distinct keys in insertion
/// order: returns their positions. 64 slots to start, doubled (re-inserting in slot order)
/// once more than 70% are used; a key's first slot is Guava's `murmur3_32().hashInt(
/// key.hashCode)` masked, then probes `+1`, `+2`, ...; the iterator yields a `null` key first
/// (kept aside), then the slots in order. A map that would spill to disk is not modelled.
pub fn append_only_map_order<'v>(keys: impl Iterator<Item = &'v Value>) -> Vec<usize> {
    let mut codes: Vec<i32> = Vec::new();
    let mut null = None;
    for (i, k) in keys.enumerate() {
        if matches!(k, Value::Null) {
            null = Some(i);
        }
        codes.push(k.partition_hash());
    }
    append_only_map_order_of_codes(&codes, null)
        .into_iter()
        .map(|i| i as usize)
        .collect()
}

/// [`append_only_map_order`] of keys given by their `hashCode`s ([`Value::partition_hash`],
/// computed once by the caller, which usually has it at hand from choosing the partition),
/// `null` the position of the `null` key if there is one. Returns the positions, as `u32`:
/// the keys inserted in order into an [`AppendOnlyMap`], `null` first, then its slots.
pub fn append_only_map_order_of_codes(codes: &[i32], null: Option<usize>) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(codes.len());
    out.extend(null.map(|i| i as u32));
    let mut map = AppendOnlyMap::new();
    for (i, &code) in codes.iter().enumerate() {
        if Some(i) == null {
            map.count_null_key();
        } else {
            map.insert_new(code, i as u32);
        }
    }
    out.extend(map.into_slot_order());
    out
}

/// Java's `String.split(sep)` for a literal, non-empty `sep` (`sep` as a regex matching only
/// itself, as `split(" ")`): calls `each` with every part in order, trailing empty parts
/// dropped (all of them, so `" ".split(" ")` has no parts), except that a string without
/// `sep` is its own only part (so `"".split(" ")` is `[""]`). Stops at `each`'s first error.
/// Parts are borrowed from `s`; nothing is collected (empty parts are only counted until a
/// non-empty one shows they are not trailing).
///
/// # Errors
/// `each`'s error.
pub fn java_split_each<E>(
    s: &str,
    sep: &str,
    mut each: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    if s.is_empty() {
        // no match: the string itself
        return each(s);
    }
    let mut empties = 0usize;
    let mut part = |p: &str| {
        if p.is_empty() {
            empties += 1;
            return Ok(());
        }
        for _ in 0..std::mem::take(&mut empties) {
            each("")?;
        }
        each(p)
    };
    // The separator's matches, left to right and not overlapping, found by the memchr
    // crate's vectorized search (a one-byte separator such as " " by `memchr_iter`, which
    // scans a line once rather than calling a search per word). Byte positions are char
    // boundaries: `sep` is whole UTF-8, which no match can start or end inside a character of.
    let mut start = 0;
    let mut cut = |at: usize, width: usize| {
        let piece = &s[start..at];
        start = at + width;
        part(piece)
    };
    match sep.as_bytes() {
        [] => return s.split(sep).try_for_each(&mut part),
        &[byte] => memchr::memchr_iter(byte, s.as_bytes()).try_for_each(|at| cut(at, 1))?,
        bytes => memchr::memmem::find_iter(s.as_bytes(), bytes)
            .try_for_each(|at| cut(at, bytes.len()))?,
    }
    part(&s[start..])
}

pub mod append_only_map;
pub mod murmur3;
pub mod prefetch;

pub use append_only_map::AppendOnlyMap;

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

    /// `hashCode` of each value as Scala 2.12.18 printed it (scripts/spark-diff-hashes.scala,
    /// output in tests/fixtures/spark-diff/scala-hashes.txt).
    #[test]
    fn partition_hash_matches_scala_2_12_hash_codes() {
        let s = Value::str;
        let i = Value::Int;
        let t = |v: Vec<Value>| Value::tuple(v);
        let cases: Vec<(Value, i32)> = vec![
            (t(vec![s("a"), i(1)]), 128_003_929),
            (t(vec![i(1), i(2)]), 1_411_956_066),
            (t(vec![i(3_000_000_000), i(1)]), 285_424_582),
            (t(vec![i(-3_000_000_000), i(1)]), -1_838_757_411),
            (t(vec![i(-1), i(1)]), 1_779_293_836),
            (t(vec![s("a"), t(vec![i(1), i(2)])]), 441_768_386),
            (t(vec![Value::Float(1.5), s("x")]), -1_408_747_188),
            (t(vec![Value::Float(2.0), s("x")]), -1_042_170_981),
            (t(vec![Value::Float(1e10), s("x")]), 470_528_636),
            (t(vec![Value::Float(1e20), s("x")]), -885_728_355),
            (t(vec![Value::Float(0.1), s("x")]), 732_571_641),
            (t(vec![Value::Float(-0.0), s("x")]), 1_528_931_378),
            (t(vec![Value::Bool(true), i(1)]), -738_139_702),
            (t(vec![Value::Bool(false), i(1)]), 65_610_619),
            (t(vec![Value::Null, i(1)]), -441_866_706),
            (t(vec![s("a"), i(1), i(2)]), 944_502_939),
            (t(vec![s("h\u{e9}llo"), i(1)]), -1_653_350_363),
            (t(vec![Value::some(i(1)), i(1)]), 1_095_465_308),
            (t(vec![Value::none(), i(1)]), 7_007_958),
            (t(vec![Value::list(vec![i(1), i(2)]), i(1)]), 470_305_431),
            (Value::list(vec![i(1), i(2), i(3)]), 387_518_613),
            (Value::list(vec![]), 473_519_988),
            (
                Value::seq(SeqKind::ArrayBuffer, vec![i(1), i(2)]),
                985_731_359,
            ),
            (
                Value::seq(SeqKind::CompactBuffer, vec![i(1), i(2)]),
                985_731_359,
            ),
            (
                Value::seq(SeqKind::Set, vec![i(1), i(2), i(3)]),
                1_467_472_237,
            ),
            (
                Value::seq(SeqKind::Map, vec![t(vec![s("a"), i(1)])]),
                713_081_854,
            ),
            (Value::some(s("a")), -1_168_522_918),
            (Value::none(), 2_433_880),
            (Value::Float(1.5), 1_073_217_536),
            (Value::Float(2.0), 1_073_741_824),
            (i(3_000_000_000), -1_294_967_296),
            (t(vec![s("x"), s("y")]), 2_127_325_183),
            (
                t(vec![t(vec![s("a"), i(1)]), t(vec![s("b"), i(2)])]),
                -348_935_260,
            ),
            (
                t(vec![
                    s("k"),
                    Value::seq(SeqKind::CompactBuffer, vec![i(1), i(2)]),
                ]),
                -11_725_515,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(v.partition_hash(), want, "hashCode of {v}");
        }
        // `##` differs from hashCode for doubles with an integral or float value
        assert_eq!(Value::Float(1.5).scala_hash(), 1_069_547_520);
        assert_eq!(Value::Float(2.0).scala_hash(), 2);
    }

    /// `toSet` / `toMap` with more than four elements, as Scala 2.12.18 printed them.
    #[test]
    fn hash_trie_order_matches_scala_2_12() {
        let order = |items: Vec<Value>| {
            let mut v = items;
            murmur3::hash_trie_order(&mut v, |x| x);
            Value::seq(SeqKind::Set, v).to_string()
        };
        let words = |w: &str| w.split(' ').map(Value::str).collect::<Vec<_>>();
        assert_eq!(
            order(words("a b c d e f g hello world spark x1 x2 x3")),
            "Set(e, world, x3, f, a, x2, b, spark, g, x1, c, hello, d)"
        );
        assert_eq!(order(words("e d c b a")), "Set(e, a, b, c, d)");
        assert_eq!(
            order((1..=20).map(Value::Int).collect()),
            "Set(5, 10, 14, 20, 1, 6, 9, 13, 2, 17, 12, 7, 3, 18, 16, 11, 8, 19, 4, 15)"
        );
        assert_eq!(
            order([5, 3, 100, -7, 42, 0, 17].map(Value::Int).to_vec()),
            "Set(0, 5, 42, -7, 17, 3, 100)"
        );
        assert_eq!(
            order([1.5, 2.0, -3.25, 100.0, 0.1].map(Value::Float).to_vec()),
            "Set(1.5, 2.0, 0.1, -3.25, 100.0)"
        );
        let pairs: Vec<Value> = "abcdef"
            .chars()
            .zip(1..)
            .map(|(c, n)| Value::pair(Value::str(&c.to_string()), Value::Int(n)))
            .collect();
        assert_eq!(
            order(pairs.clone()),
            "Set((f,6), (e,5), (c,3), (b,2), (d,4), (a,1))"
        );
        let mut m = pairs;
        murmur3::hash_trie_order(&mut m, |kv| kv.as_pair().map_or(kv, |p| p.0));
        assert_eq!(
            Value::seq(SeqKind::Map, m).to_string(),
            "Map(e -> 5, f -> 6, a -> 1, b -> 2, c -> 3, d -> 4)"
        );
    }

    /// `approx_bytes`: 8 per number, the UTF-8 length plus 4 per string, 1 per null, boolean
    /// or option tag, 4 more per field or element, nested kinds summed recursively.
    #[test]
    fn approx_bytes_counts_scalars_and_nested_values() {
        assert_eq!(Value::Null.approx_bytes(), 1);
        assert_eq!(Value::Bool(true).approx_bytes(), 1);
        assert_eq!(Value::Int(7).approx_bytes(), 8);
        assert_eq!(Value::Float(0.5).approx_bytes(), 8);
        assert_eq!(Value::str("héllo").approx_bytes(), 6 + 4);
        assert_eq!(Value::Opt(None).approx_bytes(), 1);
        assert_eq!(Value::Opt(Some(Arc::new(Value::Int(1)))).approx_bytes(), 9);
        let pair = Value::pair(Value::str("ab"), Value::Int(1));
        assert_eq!(pair.approx_bytes(), (4 + 6) + (4 + 8));
        let seq = Value::Seq(SeqKind::List, Arc::from(vec![pair, Value::Null]));
        assert_eq!(seq.approx_bytes(), (4 + 22) + (4 + 1));
    }

    /// Spark 3.5.3's own `AppendOnlyMap`, keys inserted in order, iterated as
    /// scripts/spark-diff-hashes.scala printed (the `AOM` lines of
    /// tests/fixtures/spark-diff/scala-hashes.txt); 100 keys make the table grow twice.
    #[test]
    fn append_only_map_order_matches_spark() {
        let show = |keys: Vec<Value>| {
            let order = append_only_map_order(keys.iter());
            let v: Vec<String> = order.iter().map(|&i| keys[i].to_string()).collect();
            format!("[{}]", v.join(", "))
        };
        let words = "a b c d e f g hello world spark flink x";
        assert_eq!(
            show(words.split(' ').map(Value::str).collect()),
            "[d, e, spark, x, a, b, flink, hello, f, g, c, world]"
        );
        let recorded = include_str!("../tests/fixtures/spark-diff/scala-hashes.txt");
        let aom: Vec<&str> = recorded
            .lines()
            .filter_map(|l| l.strip_prefix("AOM\t"))
            .collect();
        assert_eq!(aom.len(), 7);
        let sevens = show((1..=100).map(|i| Value::Int(i * 7)).collect());
        assert_eq!(sevens, aom[1]);
        let pairs = [("a", 1), ("b", 2), ("c", 3), ("a", 2), ("b", 1)]
            .map(|(k, v)| Value::pair(Value::str(k), Value::Int(v)))
            .to_vec();
        assert_eq!(show(pairs), "[(b,1), (b,2), (a,2), (c,3), (a,1)]");
        let with_null = vec![Value::Int(5), Value::Null, Value::Int(3), Value::Int(1)];
        assert_eq!(show(with_null), "[null, 1, 3, 5]");
        // the null key counts toward the 70 %: 44 keys grow the table only with it
        let sevens = |n: i64| (1..=n).map(|i| Value::Int(i * 7));
        let null_first: Vec<Value> = std::iter::once(Value::Null).chain(sevens(44)).collect();
        let null_last: Vec<Value> = sevens(44).chain(std::iter::once(Value::Null)).collect();
        assert_eq!(show(null_first), aom[4]);
        assert_eq!(show(null_last), aom[5]);
        assert_eq!(show(sevens(44).collect()), aom[6]);
        assert_ne!(aom[6], aom[5].replacen("null, ", "", 1));
    }
}
