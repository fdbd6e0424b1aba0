//! Tests of naming, grouping and variables.
