//! The number parser: whatever an admin pastes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    numberdesk::fuzzing::phone_number(data);
});
