//! A generated JSON document for the `parse_json` example and the arena benchmark: records
//! with escaped strings, numbers, booleans, nulls, nested arrays and objects, and non-ASCII text.

/// A document of about `target` bytes: an array of records with escaped strings, numbers,
/// booleans, nulls, nested arrays and objects, and non-ASCII text.
pub fn document(target: usize) -> Vec<u8> {
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut out = String::from("[\n");
    let mut id = 0u64;
    while out.len() < target {
        if id > 0 {
            out.push_str(",\n");
        }
        let r = next();
        out.push_str(&format!(
            concat!(
                "{{\"id\": {}, \"name\": \"user_{} \\\"{}\\\" \\\\ path\\/{}\", ",
                "\"score\": {}.{}e{}, \"active\": {}, \"ratio\": -0.{}, ",
                "\"tags\": [\"t{}\", \"t{}\", \"caf\\u00e9 \\ud83d\\ude00\"], ",
                "\"nested\": {{\"depth\": [{}, [{}, {{\"leaf\": null}}], {{}}, []], \"note\": \"line\\nbreak\\ttab\"}}}}"
            ),
            id,
            id,
            r % 1000,
            r % 97,
            r % 10_000,
            r % 100,
            r % 5,
            r % 2 == 0,
            r % 1_000_000,
            r % 13,
            r % 17,
            r % 31,
            r % 7,
        ));
        id += 1;
    }
    out.push_str("\n]\n");
    out.into_bytes()
}
