//! The list and CSV readers, the number-column choice and the rows for each column.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    numberdesk::fuzzing::bulk_input(data);
});
