//! Counts as the admin reads them.

/// `12345` → `12,345`.
pub fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut spelled = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            spelled.push(',');
        }
        spelled.push(digit);
    }
    spelled
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_of_three_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(12345678), "12,345,678");
    }
}
