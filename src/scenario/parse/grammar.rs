//! The pest-generated parser (private: the rules are an implementation detail).

#[derive(pest_derive::Parser)]
#[grammar = "scenario/grammar.pest"]
pub(super) struct PipelineParser;
