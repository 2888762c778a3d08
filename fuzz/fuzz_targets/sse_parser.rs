//! Fuzzes the Server-Sent Events parser: no panic on any bytes, and the
//! same frames, error, last event ID and reconnection time whether the
//! stream arrives whole, split in two, or one byte at a time.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The parser is private to the SDK and depends only on `std` and `memchr`,
// so the target compiles its source file directly.
#[allow(dead_code, unreachable_pub)]
#[path = "../../src/events/parser.rs"]
mod parser;

use parser::{Frame, Parser};

/// Everything a caller can observe after feeding a stream.
#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<Frame>,
    failed: bool,
    last_event_id: String,
    reconnection_time: Option<u64>,
}

fn parse<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limit: usize) -> Outcome {
    let mut parser = Parser::new(limit);
    let mut frames = Vec::new();
    let mut failed = false;
    for chunk in chunks {
        if parser.push(chunk, &mut frames).is_err() {
            failed = true;
            break;
        }
    }
    parser.finish();
    Outcome {
        frames,
        failed,
        last_event_id: parser.last_event_id().to_owned(),
        reconnection_time: parser.reconnection_time(),
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte sets the event size limit, the second the split point.
    let [limit, split, stream @ ..] = data else {
        return;
    };
    let limit = usize::from(*limit) * 16;
    let split = usize::from(*split) % (stream.len() + 1);

    let whole = parse([stream], limit);
    let (head, tail) = stream.split_at(split);
    assert_eq!(parse([head, tail], limit), whole, "split at {split}");
    assert_eq!(parse(stream.chunks(1), limit), whole, "one byte at a time");
});
