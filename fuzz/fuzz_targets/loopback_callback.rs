//! The sign-in listener's request parser and its decision on a callback.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    numberdesk::fuzzing::loopback_callback(data);
});
