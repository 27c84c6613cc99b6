//! The kill switch: a direct invocation naming a deployment, or an application and group, in the
//! function's own account or (`account`) one of its target accounts.

use serde::Deserialize;
use serde_json::Value;

use super::fields::{check_deployment_id, decode, error, valid_region};
use super::model::{Item, KillSwitch, ParseError, Signal, Target, Via, What};
use crate::types::{bounded, is_account, REASON_LIMIT};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Body {
    #[serde(default)]
    deployment_id: Option<String>,
    #[serde(default)]
    application_name: Option<String>,
    #[serde(default)]
    deployment_group_name: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    account: Option<String>,
    /// A finished deployment it finds may be redeployed (`ROLLBACK_COMPLETED_WITHIN`).
    #[serde(default)]
    redeploy: bool,
}

/// A kill switch happens when it is invoked, so it carries no time of its own.
pub(super) fn parse(value: &Value) -> Result<Item, ParseError> {
    let what = "kill switch";
    let payload: Body = decode(value, what)?;
    let target =
        match (
            payload.deployment_id,
            payload.application_name,
            payload.deployment_group_name,
        ) {
            (Some(id), None, None) => {
                check_deployment_id(&id, what, "deploymentId")?;
                Target::Deployment(id)
            }
            (None, Some(application), group) if !application.is_empty() => Target::Group {
                application,
                group: group.filter(|g| !g.is_empty()),
            },
            _ => return Err(error(
                "kill switch: give either `deploymentId`, or `applicationName` with an optional \
                 `deploymentGroupName`",
            )),
        };
    let region = match payload.region {
        None => None,
        Some(region) => Some(valid_region(Some(&region)).ok_or_else(|| {
            error(format!(
                "kill switch: `region` `{region}` is not an AWS region code"
            ))
        })?),
    };
    let accounts = match payload.account {
        None => Vec::new(),
        Some(account) if is_account(&account) => vec![account],
        Some(account) => {
            return Err(error(format!(
                "kill switch: `account` `{account}` is not an AWS account ID (12 digits)"
            )))
        }
    };
    Ok(Item::Signal(Signal {
        what: What::KillSwitch(KillSwitch {
            target,
            redeploy: payload.redeploy,
            reason: payload
                .reason
                .map(|r| bounded(&r, REASON_LIMIT))
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| "no reason given".into()),
            region,
        }),
        time: None,
        accounts,
        via: Via::Invoke,
    }))
}
