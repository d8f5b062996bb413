//! Graph's answers: operation statuses (both envelopes), number pages and error bodies.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    numberdesk::fuzzing::graph_responses(data);
});
