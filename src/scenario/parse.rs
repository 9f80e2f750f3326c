//! The pipeline parser (being written).
