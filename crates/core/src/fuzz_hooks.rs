//! Entry points for the fuzz targets (`fuzz/`, run by `make fuzz`): internals that are
//! not public API, each with the property the fuzzer checks. Nothing else calls them.

use crate::agents::condense::{condense, Decision};

/// The condenser (see `harness::condense`) on any bytes, dropping every long string
/// it is offered: when it condenses, the original was valid JSON and so is the copy.
pub fn condense_keeps_validity(line: &[u8]) {
    let mut out = Vec::new();
    let condensed = condense(line, &mut out, |_, _| Decision::Drop);
    if condensed {
        let valid = |b: &[u8]| serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok();
        assert!(valid(line), "condensed a line serde rejects");
        assert!(valid(&out), "the condensed line is not valid JSON");
        assert!(out.len() < line.len(), "condensing made the line longer");
    }
}

/// A line parser of `harness` (the session table's facts) fed `data` line by line,
/// as the tail reader would; it must never panic.
pub fn parse_lines(harness: crate::model::Harness, file_name: &str, data: &[u8]) {
    let path = std::path::Path::new("/fuzz").join(file_name);
    let mut parser = crate::agents::parser_for(harness, &path);
    for line in data.split(|b| *b == b'\n') {
        parser.apply_line(line);
    }
    let facts = parser.facts();
    // Sums over the lines saturate: a total is never below one of its parts.
    assert!(facts.usage.total() >= facts.usage.input_tokens);
}
