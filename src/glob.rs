//! Name globs where `*` matches any run of characters (including none).

/// Whether `name` matches `pattern`; every other character matches itself.
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole name must equal the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The part of a glob before its first `*`: what a name prefix can ask for.
pub fn literal_prefix(glob: &str) -> &str {
    glob.split('*').next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{literal_prefix, matches};

    #[test]
    fn the_prefix_is_what_comes_before_the_first_star() {
        assert_eq!(literal_prefix("shop-*-5xx"), "shop-");
        assert_eq!(literal_prefix("*-5xx"), "");
        assert_eq!(literal_prefix("exact"), "exact");
    }

    #[test]
    fn star_matches_any_run() {
        assert!(matches("*", ""));
        assert!(matches("*", "anything/at all"));
        assert!(matches("checkout-*", "checkout-5xx"));
        assert!(matches("checkout-*", "checkout-"));
        assert!(matches("*-5xx", "checkout-5xx"));
        assert!(matches("a*b*c", "abc"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(matches("shop/*", "shop/prod"));
    }

    #[test]
    fn literal_parts_must_match() {
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
        assert!(!matches("exact", "inexact"));
        assert!(!matches("checkout-*", "cart-5xx"));
        assert!(!matches("a*b*c", "acb"));
        // The suffix may not overlap the prefix.
        assert!(!matches("ab*ba", "aba"));
        assert!(!matches("shop/*", "shopping/prod"));
    }
}
