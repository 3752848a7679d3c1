//! Lower-case hex, the form every tool writes SHA-256 digests in.

/// `[0x9f, 0x86]` → `"9f86"`.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_every_byte_as_two_lower_case_digits() {
        assert_eq!(super::encode(&[0x00, 0x9f, 0x0a, 0xff]), "009f0aff");
        assert_eq!(super::encode(&[]), "");
    }
}
