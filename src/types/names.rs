//! Accounts, regions, deployment IDs and IAM names: what they look like, and how a deployment
//! group is written in reports.

use std::fmt;

/// Whether `account` is an AWS account ID: 12 digits.
pub fn is_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// The account field of an ARN (`arn:aws:cloudwatch:us-east-1:123456789012:…`), when not empty.
pub fn arn_account(arn: &str) -> Option<String> {
    arn.starts_with("arn:")
        .then(|| arn.split(':').nth(4))
        .flatten()
        .map(str::trim)
        .filter(|account| !account.is_empty())
        .map(str::to_string)
}

/// Whether `region` looks like an AWS region code (`us-east-1`, `us-gov-west-1`).
pub fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

/// Whether `id` is a CodeDeploy deployment ID: `d-` and nine upper-case letters or digits.
pub fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// Whether `c` may be part of an IAM name (a role's, a role session's): a letter, a digit or
/// one of `+=,.@_-`.
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// The partition of a region: `aws-cn`, `aws-us-gov`, or `aws`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Where a call goes: the function's own account, or a target account reached through a role.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    Own(String),
    Target(String),
}

impl Account {
    /// The account ID.
    pub fn id(&self) -> &str {
        match self {
            Account::Own(id) | Account::Target(id) => id,
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A deployment group as reports write it: `application/group`, with `account:` first when it
/// is a target account's.
pub struct GroupName<'a> {
    pub account: &'a Account,
    pub application: &'a str,
    pub group: &'a str,
}

impl fmt::Display for GroupName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Account::Target(id) = self.account {
            write!(f, "{id}:")?;
        }
        write!(f, "{}/{}", self.application, self.group)
    }
}

/// The longest alarm name CloudWatch allows.
pub const ALARM_NAME_LIMIT: usize = 255;
/// The longest kill-switch reason kept, in bytes.
pub const REASON_LIMIT: usize = 1024;

/// Text from outside as it may go into reports and notifications: control characters (which
/// chat integrations render) dropped, and cut to at most `limit` bytes, marked when cut.
pub fn bounded(text: &str, limit: usize) -> String {
    const CUT: &str = "… (truncated)";
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.len() <= limit {
        return clean;
    }
    let mut end = limit.saturating_sub(CUT.len());
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{CUT}", &clean[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_names_its_account_only_when_it_is_a_target_account() {
        let own = Account::Own("111122223333".into());
        let target = Account::Target("222233334444".into());
        let name = |account| {
            GroupName {
                account,
                application: "shop",
                group: "prod",
            }
            .to_string()
        };
        assert_eq!(name(&own), "shop/prod");
        assert_eq!(name(&target), "222233334444:shop/prod");
    }

    #[test]
    fn outside_text_is_cleaned_and_cut_within_its_limit() {
        assert_eq!(bounded("bad\u{7}\nrelease", 100), "badrelease");
        let long = "é".repeat(300);
        let cut = bounded(&long, ALARM_NAME_LIMIT);
        assert!(cut.len() <= ALARM_NAME_LIMIT, "{}", cut.len());
        assert!(cut.ends_with("… (truncated)"));
        assert_eq!(bounded(&"a".repeat(255), ALARM_NAME_LIMIT), "a".repeat(255));
    }
}
