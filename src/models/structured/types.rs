//! Rows and data types of the model: Spark SQL's `InternalRow` and `DataType`
//! (`sql/catalyst/src/main/scala/org/apache/spark/sql/types/`), reduced to the types a
//! streaming query over CSV/JSON-like rows needs, and printed as `Dataset.show()` prints them.

use crate::event_time::{EventTime, TimeWindow};
use crate::value::java_double;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// A column's type (Spark's `DataType`): `BooleanType`, `LongType` (every integer here, as
/// Spark infers JSON integers), `DoubleType`, `StringType`, `TimestampType`, the
/// `window` struct `struct<start: timestamp, end: timestamp>`, and `NullType` for a literal
/// null.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DataType {
    /// `BooleanType`.
    Boolean,
    /// `LongType` (bigint).
    Long,
    /// `DoubleType`.
    Double,
    /// `StringType`.
    String,
    /// `TimestampType`.
    Timestamp,
    /// The `window` column's struct type.
    Window,
    /// `NullType`.
    Null,
}

impl DataType {
    /// Spark's simple name (`bigint`, `timestamp`, ...), as error messages print it.
    pub fn simple_string(self) -> &'static str {
        match self {
            DataType::Boolean => "boolean",
            DataType::Long => "bigint",
            DataType::Double => "double",
            DataType::String => "string",
            DataType::Timestamp => "timestamp",
            DataType::Window => "struct<start:timestamp,end:timestamp>",
            DataType::Null => "void",
        }
    }

    /// Spark's SQL name in upper case (`"BIGINT"`), as `[DATATYPE_MISMATCH]` messages print it.
    pub fn sql(self) -> String {
        match self {
            DataType::Window => "STRUCT<start: TIMESTAMP, end: TIMESTAMP>".into(),
            t => t.simple_string().to_uppercase(),
        }
    }
}

/// One cell of a row. Integers are `Long`, timestamps milliseconds since the epoch (UTC).
#[derive(Clone, Debug)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Long(i64),
    /// A double.
    Double(f64),
    /// A string.
    Str(Arc<str>),
    /// A timestamp.
    Timestamp(EventTime),
    /// A `window` struct.
    Window(TimeWindow),
}

impl Cell {
    /// A string cell.
    pub fn str(s: &str) -> Cell {
        Cell::Str(Arc::from(s))
    }

    /// The cell's type (`Null` for a null).
    pub fn data_type(&self) -> DataType {
        match self {
            Cell::Null => DataType::Null,
            Cell::Bool(_) => DataType::Boolean,
            Cell::Long(_) => DataType::Long,
            Cell::Double(_) => DataType::Double,
            Cell::Str(_) => DataType::String,
            Cell::Timestamp(_) => DataType::Timestamp,
            Cell::Window(_) => DataType::Window,
        }
    }

    /// True for NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The number as a double (longs widened), for arithmetic and averages.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Long(i) => Some(*i as f64),
            Cell::Double(x) => Some(*x),
            _ => None,
        }
    }

    /// The event time of a timestamp cell (a window gives none).
    pub fn as_time(&self) -> Option<EventTime> {
        match self {
            Cell::Timestamp(t) => Some(*t),
            _ => None,
        }
    }

    /// The cell as JSON, the way the oracle's fixtures record rows: numbers, strings,
    /// timestamps as `"2013-01-01 05:10:00"`, windows as `{"start": .., "end": ..}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Bool(b) => json!(b),
            Cell::Long(i) => json!(i),
            Cell::Double(x) => json!(x),
            Cell::Str(s) => json!(s.as_ref()),
            Cell::Timestamp(t) => json!(t.to_string()),
            Cell::Window(w) => json!({"start": w.start.to_string(), "end": w.end.to_string()}),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Cell::Null => 0,
            Cell::Bool(_) => 1,
            Cell::Long(_) | Cell::Double(_) => 2,
            Cell::Str(_) => 3,
            Cell::Timestamp(_) => 4,
            Cell::Window(_) => 5,
        }
    }
}

/// A total order (nulls first, numbers by value, doubles by `total_cmp`): grouping keys and
/// the printed order of rows.
impl Ord for Cell {
    fn cmp(&self, other: &Cell) -> Ordering {
        match (self, other) {
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (Cell::Long(a), Cell::Long(b)) => a.cmp(b),
            (Cell::Str(a), Cell::Str(b)) => a.cmp(b),
            (Cell::Timestamp(a), Cell::Timestamp(b)) => a.cmp(b),
            (Cell::Window(a), Cell::Window(b)) => a.cmp(b),
            (a, b) if a.rank() == 2 && b.rank() == 2 => {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                x.total_cmp(&y)
            }
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl PartialOrd for Cell {
    fn partial_cmp(&self, other: &Cell) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Cell {
    fn eq(&self, other: &Cell) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Cell {}

/// The text `Dataset.show()` prints for a cell: `NULL` (Spark 3.5), Java's double text,
/// timestamps as `2013-01-01 05:10:00`, a window as `{2013-01-01 05:00:00, 2013-01-01 05:10:00}`.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => f.write_str("NULL"),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Long(i) => write!(f, "{i}"),
            Cell::Double(x) => f.write_str(&java_double(*x)),
            Cell::Str(s) => f.write_str(s),
            Cell::Timestamp(t) => write!(f, "{t}"),
            Cell::Window(w) => write!(f, "{w}"),
        }
    }
}

/// A row: one cell per column of its schema.
pub type Row = Vec<Cell>;

/// A column of a schema: its name, type, and the watermark delay when the column is an
/// event-time column (`EventTimeWatermark.delayKey` in the column's metadata).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Column name.
    pub name: String,
    /// Column type.
    pub data_type: DataType,
    /// `Some(delay_ms)` when `withWatermark` was set on this column (or it is a window on
    /// such a column): the metadata Spark's analyzer keeps on the attribute.
    pub watermark_delay_ms: Option<i64>,
}

impl Field {
    /// A column without watermark metadata.
    pub fn new(name: &str, data_type: DataType) -> Field {
        Field {
            name: name.to_string(),
            data_type,
            watermark_delay_ms: None,
        }
    }
}

/// A schema: the columns of a DataFrame, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// The columns.
    pub fields: Vec<Field>,
}

impl Schema {
    /// The index of the column named `name` (Spark resolves names case-insensitively).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The column names, for messages.
    pub fn names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }

    /// The index of the event-time column (the first with watermark metadata), if any.
    pub fn event_time_column(&self) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.watermark_delay_ms.is_some())
    }
}
