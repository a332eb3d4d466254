//! Durations written by people (`--overlap 1h`): whole numbers with the units `s`, `m`, `h`
//! and `d`, concatenated (`1h30m`); `0` alone means no overlap.

const EXPECTED: &str = "expected a duration such as 0, 90s, 30m, 1h, 7d or 1h30m";

/// The longest duration accepted: 365 days.
pub const MAX_SECS: u64 = 365 * 86_400;

/// Seconds in `text`.
pub fn parse_secs(text: &str) -> Result<u64, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(0);
    }
    let problem = || format!("{EXPECTED}, got {text:?}");
    let (mut total, mut digits, mut parts) = (0u64, String::new(), 0usize);
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(problem()),
        };
        let n: u64 = digits.parse().map_err(|_| problem())?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(problem)?;
        digits.clear();
        parts += 1;
    }
    if !digits.is_empty() || parts == 0 {
        return Err(problem());
    }
    if total > MAX_SECS {
        return Err(format!("expected at most 365d, got {text:?}"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Result<u64, &str>) {
        assert_eq!(parse_secs(text), expected.map_err(str::to_owned), "{text:?}");
    }

    #[test]
    fn durations() {
        let bad = |t: &str| format!("{EXPECTED}, got {t:?}");
        check("0", Ok(0));
        check("0s", Ok(0));
        check("90s", Ok(90));
        check("30m", Ok(1800));
        check(" 1h ", Ok(3600));
        check("1h30m", Ok(5400));
        check("7d", Ok(604_800));
        check("365d", Ok(MAX_SECS));
        check("366d", Err("expected at most 365d, got \"366d\""));
        for t in ["", "1", "h", "1x", "1h30", "-1h", "1.5h", "99999999999999999999s"] {
            check(t, Err(&bad(t)));
        }
    }
}
