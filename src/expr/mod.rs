//! Functions passed to operators: built-ins and small lambdas compiled to closures.
//! (Being written; see the parser/compiler task.)
