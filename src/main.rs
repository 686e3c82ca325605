//! faultline CLI.
fn main() {}
