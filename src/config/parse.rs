//! Each variable's value, read and checked: a value that cannot be used is named with what is
//! wrong with it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::rules::{AlarmRule, AllowedGroup, GateOnError, JudgeMode, Significance};
use crate::types::{arn_account, is_account, is_iam_name_char, is_region, EventKind};

/// A configuration variable that could not be used.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "configuration variable {}: {}",
            self.variable, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}

impl AllowedGroup {
    pub(super) fn parse(entry: &str) -> Result<AllowedGroup, ConfigError> {
        let error = |why: &str| ConfigError {
            variable: "ALLOWED_DEPLOYMENT_GROUPS",
            problem: format!("`{entry}` {why}"),
        };
        let (account, rest) = match entry.split_once(':') {
            Some((account, rest)) if is_account(account) => (Some(account.to_string()), rest),
            Some(_) => return Err(error("names no account before its `:` (12 digits)")),
            None => (None, entry),
        };
        match rest.split_once('/') {
            Some((application, group))
                if !application.is_empty() && !group.is_empty() && !group.contains('/') =>
            {
                Ok(AllowedGroup {
                    account,
                    application: application.into(),
                    group: group.into(),
                })
            }
            _ => Err(error(
                "is not `application/group` (globs allowed on each side, as in `shop/prod-*` \
                 or `*/*`; an account may come first: `111122223333:shop/prod`)",
            )),
        }
    }
}

/// `parse` applied to a variable's value, when it is set.
pub(super) fn optional<T>(
    value: Option<String>,
    parse: fn(&str) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    value.map(|v| parse(&v)).transpose()
}

/// `GATE_ON_ERROR`: `succeed` (the default) or `fail`.
pub(super) fn parse_gate_on_error(value: Option<String>) -> Result<GateOnError, ConfigError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("succeed") => Ok(GateOnError::Succeed),
        Some("fail") => Ok(GateOnError::Fail),
        Some(v) => Err(ConfigError {
            variable: "GATE_ON_ERROR",
            problem: format!("`{v}` is neither `succeed` nor `fail`"),
        }),
    }
}

/// `JUDGE`: `off`, `report` (the default) or `enforce`.
pub(super) fn parse_judge(value: Option<String>) -> Result<JudgeMode, ConfigError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("off") => Ok(JudgeMode::Off),
        None | Some("report") => Ok(JudgeMode::Report),
        Some("enforce") => Ok(JudgeMode::Enforce),
        Some(v) => Err(ConfigError {
            variable: "JUDGE",
            problem: format!("`{v}` is not `off`, `report` or `enforce`"),
        }),
    }
}

/// `JUDGE_P`: a significance level, above 0 and below 0.5.
pub(super) fn parse_judge_p(value: &str) -> Result<Significance, ConfigError> {
    match value.trim().parse::<f64>() {
        Ok(p) if p > 0.0 && p < 0.5 => Ok(Significance(p)),
        _ => Err(ConfigError {
            variable: "JUDGE_P",
            problem: format!(
                "`{value}` is not a significance level above 0 and below 0.5 (0.001, say)"
            ),
        }),
    }
}

fn comma_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// The scope has no default: a function that may stop anything must say so (`*/*`).
pub(super) fn parse_allowed_groups(
    value: Option<String>,
) -> Result<Vec<AllowedGroup>, ConfigError> {
    let entries = value.map(|v| comma_list(&v)).unwrap_or_default();
    if entries.is_empty() {
        return Err(ConfigError {
            variable: "ALLOWED_DEPLOYMENT_GROUPS",
            problem: "not set: list the deployment groups the function may stop, as \
                      comma-separated `application/group` globs (for example \
                      `shop/prod,billing/*`), or `*/*` to allow every group"
                .into(),
        });
    }
    entries.iter().map(|e| AllowedGroup::parse(e)).collect()
}

pub(super) fn parse_age(value: &str) -> Result<Option<i64>, ConfigError> {
    match value.trim().parse::<i64>() {
        Ok(0) => Ok(None),
        Ok(seconds) if seconds > 0 => Ok(Some(seconds)),
        _ => Err(ConfigError {
            variable: "MAX_SIGNAL_AGE",
            problem: format!("`{value}` is not a number of seconds (0 for no limit)"),
        }),
    }
}

/// A number of seconds from 0 (off: `None`) to `max`.
pub(super) fn parse_seconds(
    variable: &'static str,
    value: &str,
    max: i64,
) -> Result<Option<i64>, ConfigError> {
    match value.trim().parse::<i64>() {
        Ok(0) => Ok(None),
        Ok(seconds) if (1..=max).contains(&seconds) => Ok(Some(seconds)),
        _ => Err(ConfigError {
            variable,
            problem: format!("`{value}` is not a number of seconds from 0 (off) to {max}"),
        }),
    }
}

pub(super) fn parse_account(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    let account = value.trim();
    if is_account(account) {
        Ok(account.to_string())
    } else {
        Err(ConfigError {
            variable,
            problem: format!("`{value}` is not an AWS account ID (12 digits)"),
        })
    }
}

/// An IAM role name: 1 to 64 of letters, digits and `+=,.@_-`.
pub(super) fn parse_role_name(value: &str) -> Result<String, ConfigError> {
    let name = value.trim();
    if (1..=64).contains(&name.len()) && name.chars().all(is_iam_name_char) {
        Ok(name.to_string())
    } else {
        Err(ConfigError {
            variable: "TARGET_ROLE_NAME",
            problem: format!("`{value}` is not an IAM role name"),
        })
    }
}

/// A list, never `*`: a foreign account must not be able to ask for a stop.
pub(super) fn parse_targets(value: &str) -> Result<BTreeSet<String>, ConfigError> {
    comma_list(value)
        .into_iter()
        .map(|account| {
            if account.contains('*') {
                return Err(ConfigError {
                    variable: "TARGET_ACCOUNTS",
                    problem: "`*` is refused: list the accounts (a list is what keeps a foreign \
                              account from asking for a stop)"
                        .into(),
                });
            }
            parse_account("TARGET_ACCOUNTS", &account)
        })
        .collect()
}

/// `REGIONS`: a comma list of region codes, none repeated.
pub(super) fn parse_regions(value: &str) -> Result<Vec<String>, ConfigError> {
    let mut regions: Vec<String> = Vec::new();
    for region in comma_list(value) {
        if !is_region(&region) {
            return Err(ConfigError {
                variable: "REGIONS",
                problem: format!("`{region}` is not an AWS region code"),
            });
        }
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    Ok(regions)
}

/// An IAM role ARN: `arn:<partition>:iam::<account>:role/<path and name>`.
pub(super) fn parse_role_arn(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    let arn = value.trim();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, role]
            if is_account(account) && role.strip_prefix("role/").is_some_and(|r| !r.is_empty()) =>
        {
            Ok(arn.to_string())
        }
        _ => Err(ConfigError {
            variable,
            problem: format!(
                "`{value}` is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
            ),
        }),
    }
}

pub(super) fn parse_rules(value: &str) -> Result<Vec<AlarmRule>, ConfigError> {
    let error = |problem: String| ConfigError {
        variable: "ALARM_RULES",
        problem,
    };
    let rules: Vec<AlarmRule> = serde_json::from_str(value).map_err(|e| {
        error(format!(
            "not a JSON array of {{\"alarm\", \"application\", \"deploymentGroup\"?, \"region\"?, \
             \"account\"?}}: {e}"
        ))
    })?;
    for (index, rule) in rules.iter().enumerate() {
        if rule.alarm.is_empty() || rule.application.is_empty() {
            return Err(error(format!(
                "rule {index}: \"alarm\" and \"application\" must not be empty"
            )));
        }
        if let Some(account) = rule.account.as_deref().filter(|a| !is_account(a)) {
            return Err(error(format!(
                "rule {index}: \"account\" `{account}` is not an AWS account ID (12 digits)"
            )));
        }
        if let Some(region) = rule.region.as_deref().filter(|r| !is_region(r)) {
            return Err(error(format!(
                "rule {index}: \"region\" `{region}` is not an AWS region code"
            )));
        }
        if rule.deployment_group.as_deref() == Some("") {
            return Err(error(format!(
                "rule {index}: \"deploymentGroup\" is empty (leave it out for every group)"
            )));
        }
    }
    Ok(rules)
}

pub(super) fn parse_kinds(value: &str) -> Result<BTreeSet<EventKind>, ConfigError> {
    comma_list(value)
        .iter()
        .map(|name| {
            EventKind::parse(name).ok_or_else(|| ConfigError {
                variable: "STOP_ON_CODEDEPLOY_EVENTS",
                problem: format!(
                    "unknown event kind `{name}` (known: {})",
                    EventKind::ALL.map(|k| k.to_string()).join(", ")
                ),
            })
        })
        .collect()
}

pub(super) fn parse_bool(variable: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError {
            variable,
            problem: format!("`{value}` is not a boolean (use true or false)"),
        }),
    }
}

/// `SNS_TOPIC_ACCOUNTS`: a JSON object, topic ARN → the accounts (besides the topic's owner)
/// whose signals that topic may carry.
pub(super) fn parse_topic_accounts(
    value: &str,
) -> Result<BTreeMap<String, BTreeSet<String>>, ConfigError> {
    let error = |problem: String| ConfigError {
        variable: "SNS_TOPIC_ACCOUNTS",
        problem,
    };
    let map: BTreeMap<String, Vec<String>> = serde_json::from_str(value).map_err(|e| {
        error(format!(
            "not a JSON object of topic ARN to account IDs ({{\"arn:aws:sns:…\": \
             [\"111122223333\"]}}): {e}"
        ))
    })?;
    map.into_iter()
        .map(|(topic, accounts)| {
            if topic.split(':').nth(2) != Some("sns")
                || !arn_account(&topic).is_some_and(|a| is_account(&a))
            {
                return Err(error(format!("`{topic}` is not an SNS topic ARN")));
            }
            let accounts = accounts
                .iter()
                .map(|a| parse_account("SNS_TOPIC_ACCOUNTS", a))
                .collect::<Result<_, _>>()?;
            Ok((topic, accounts))
        })
        .collect()
}
