//! Streaming algorithms (placeholder until the algorithms issue lands).
