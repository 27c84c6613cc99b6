//! Which account a signal may act in: what its payload claims, believed only as far as what
//! carried it vouches (docs/who-can-stop-what.md).

use crate::config::Config;
use crate::signal::{Signal, Via, What};
use crate::types::{is_account, Account};

/// Why a signal may not act where it asks.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Doubt {
    /// Held as ignored: its origin is in doubt, or outside the accounts the function serves.
    Ignore(String),
    /// Refused: whoever asked may not ask that; the invocation fails saying how to allow it.
    Refuse(String),
}

/// The account `id` as one the function may act in: its own, or one of `TARGET_ACCOUNTS`.
pub fn account(id: &str, own: &str, config: &Config) -> Result<Account, String> {
    if id == own {
        Ok(Account::Own(id.into()))
    } else if config.target_accounts.contains(id) {
        Ok(Account::Target(id.into()))
    } else {
        Err(format!(
            "foreign account {id}: this function acts only for its own account {own} and \
             TARGET_ACCOUNTS"
        ))
    }
}

/// The account a signal acts in: the one its payload names, as far as what carried it vouches
/// for that; else the account that carrier speaks for. `own` is the function's account.
pub(super) fn origin(signal: &Signal, own: &str, config: &Config) -> Result<Account, Doubt> {
    // A signed-in caller is answered by the rule for callers (refused), not as a foreign claim.
    if !matches!(signal.via, Via::Caller { .. }) {
        for claimed in &signal.accounts {
            account(claimed, own, config).map_err(Doubt::Ignore)?;
        }
    }
    let claimed = match signal.accounts.as_slice() {
        [] => None,
        [one] => Some(one.as_str()),
        several => {
            return Err(Doubt::Ignore(format!(
                "the payload names several accounts ({}): its origin is in doubt",
                several.join(", ")
            )))
        }
    };
    let kill_switch = matches!(signal.what, What::KillSwitch(_));
    let id = match &signal.via {
        Via::Invoke if kill_switch => across(claimed.unwrap_or(own), own, config)?,
        Via::Invoke => claimed.unwrap_or(own),
        Via::Topic(arn) => vouched(claimed, arn, "topic", config)?,
        Via::Queue(arn) => vouched(claimed, arn, "queue", config)?,
        Via::Caller { account, .. } if account == own => {
            across(claimed.unwrap_or(account), own, config)?
        }
        Via::Caller { account, arn } => caller(claimed, account, arn, config)?,
    };
    account(id, own, config).map_err(Doubt::Ignore)
}

/// A kill switch from the function's own account: it acts there, and in a target account only
/// with `KILL_SWITCH_ACROSS_ACCOUNTS`.
fn across<'a>(id: &'a str, own: &str, config: &Config) -> Result<&'a str, Doubt> {
    if id == own || config.kill_switch_across_accounts {
        return Ok(id);
    }
    Err(Doubt::Refuse(format!(
        "a kill switch acts in the function's own account {own} only, not in {id}: set \
         KILL_SWITCH_ACROSS_ACCOUNTS=true to let it name target accounts (whoever may invoke \
         the function may then stop deployments in every target account)"
    )))
}

/// A kill switch pressed by a caller of a target account: in that account only.
fn caller<'a>(
    claimed: Option<&'a str>,
    account: &'a str,
    arn: &str,
    config: &Config,
) -> Result<&'a str, Doubt> {
    if !config.target_accounts.contains(account) {
        return Err(Doubt::Refuse(format!(
            "{arn} is of account {account}, neither the function's own nor one of \
             TARGET_ACCOUNTS"
        )));
    }
    match claimed {
        Some(id) if id != account => Err(Doubt::Refuse(format!(
            "{arn} may stop deployments in its own account {account} only, not in {id}"
        ))),
        _ => Ok(account),
    }
}

/// A message from an SNS topic or SQS queue (`what`, by `arn`): it speaks for the account that
/// owns it, and for a topic also for those `SNS_TOPIC_ACCOUNTS` lists.
fn vouched<'a>(
    claimed: Option<&'a str>,
    arn: &'a str,
    what: &str,
    config: &'a Config,
) -> Result<&'a str, Doubt> {
    let Some(owner) = arn.split(':').nth(4).filter(|a| is_account(a)) else {
        return Err(Doubt::Ignore(format!(
            "the {what} {arn} names no account that owns it: the origin is in doubt"
        )));
    };
    let listed = |id: &str| {
        what == "topic"
            && config
                .topic_accounts
                .get(arn)
                .is_some_and(|accounts| accounts.contains(id))
    };
    match claimed {
        None => Ok(owner),
        Some(id) if id == owner || listed(id) => Ok(id),
        Some(id) => Err(Doubt::Ignore(format!(
            "account {id} does not own {what} {arn}"
        ))),
    }
}
