//! The event-time floor shared by the event-time models (Structured Streaming, the
//! Dataflow/Beam model, Flink's event-time windows): timestamps, window assignment, and
//! out-of-order replay of real data.
//!
//! It sits on the shared floor (layer 1) beside `cluster/` and `io/`: the models above it each
//! keep their own watermark and trigger machinery, transcribed from their own classes
//! (Spark's `WatermarkTracker`, Beam's `WatermarkManager`, Flink's `WatermarkStrategy`), while
//! what the three agree on lives here once:
//! - [`window`]: which windows an event-time instant belongs to. Spark's `TimeWindowing`
//!   rule, Beam's `SlidingWindows.assignWindows` and Flink's
//!   `SlidingEventTimeWindows.assignWindows` give the same set, in the same order.
//! - [`timestamp`]: event time as milliseconds since the Unix epoch (UTC), printed the way
//!   Spark prints a `TimestampType` (`2013-01-01 05:10:00`).
//! - [`replay`]: a CSV file replayed in order of arrival (for flights: the actual departure)
//!   while each record carries its own event time (the scheduled departure), so delayed
//!   flights arrive late and out of order, with the data's real skew.

pub mod replay;
pub mod timestamp;
pub mod window;

pub use replay::{read_out_of_order_csv, Arrival, EventRecord, OutOfOrderCsv};
pub use timestamp::EventTime;
pub use window::{sliding_windows, TimeWindow};
