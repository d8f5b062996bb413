//! What the fuzzers check, in the normal test run: every input the fuzzers ever found a fault
//! with (kept in `fuzz/regressions/<target>/`), then random inputs through proptest.

use numberdesk::fuzzing;
use proptest::prelude::*;
use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 4] = [
    ("phone_number", fuzzing::phone_number),
    ("bulk_input", fuzzing::bulk_input),
    ("graph_responses", fuzzing::graph_responses),
    ("loopback_callback", fuzzing::loopback_callback),
];

#[test]
fn every_saved_fuzz_finding_stays_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let dir = root.join(name);
        assert!(dir.is_dir(), "{} is missing", dir.display());
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".gitkeep") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{} fails again", path.display());
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} saved inputs");
}

#[test]
fn known_tricky_inputs_pass() {
    for input in [
        &b"+1 (206) 555-0100;ext=524"[..],
        b"tel:+12065550100;ext=1;ext=2",
        b"\xef\xbb\xbfPhone;Name\r\n\"+44 20 7946 0958\";\"a;b\"\r\n",
        b"\xff\xfe+\x001\x00",
        b"GET /?state=expected-state-1234&code=abc HTTP/1.1\r\n\r\n",
        b"GET /?state=expected-state-1234&state=x&error=access_denied HTTP/1.1\r\n",
        b"\x00\xca{\"value\":{\"status\":\"running\"}}",
        b"\x01\xad{\"error\":{\"code\":\"TooManyRequests\",\"innerError\":{}}}",
    ] {
        for (_, target) in TARGETS {
            target(input);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_keep_every_parsers_promises(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        for (_, target) in TARGETS {
            target(&data);
        }
    }

    #[test]
    fn number_like_text_keeps_the_number_parsers_promises(text in "[+0-9 ()./;a-z=-]{0,40}") {
        fuzzing::phone_number(text.as_bytes());
    }

    #[test]
    fn callback_like_requests_keep_the_listeners_promises(
        path in "/[a-z]{0,5}",
        query in "[a-z_=&%0-9-]{0,60}",
    ) {
        let head = format!("GET {path}?{query} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        fuzzing::loopback_callback(head.as_bytes());
    }
}
