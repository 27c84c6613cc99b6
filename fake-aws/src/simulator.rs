//! IAM (SigV4 service `iam`, query protocol, XML answers): `SimulatePrincipalPolicy` for the
//! roles the fake knows, in the caller's account, evaluated as the fake authorizes their calls.
//! IAM: `iam:SimulatePrincipalPolicy` takes the `role` (or `user`, `group`) resource type.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::caller::Identities;
use crate::cloudwatch::page_at;
use crate::iam::{self, Decision, Policy};
use crate::protocol::{client_error, escape, ApiError, IAM_NAMESPACE};
use crate::{string_field, Input, State, FUNCTION_ROLE};

/// `MaxItems` at most, and when not given.
const MAX_ITEMS_LIMIT: usize = 1000;
const DEFAULT_MAX_ITEMS: usize = 100;
const CONTEXT_KEY_TYPES: [&str; 12] = [
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

fn validation(message: String) -> ApiError {
    client_error(
        "ValidationError",
        format!("1 validation error detected: {message}"),
    )
}

fn not_null(member: &str) -> ApiError {
    validation(format!(
        "Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

/// The values of the query list `{list}.member.1`, `.member.2`, … (up to the first gap).
pub(crate) fn members<'a>(body: &'a Value, list: &str) -> Vec<&'a str> {
    (1..)
        .map_while(|n| string_field(body, &format!("{list}.member.{n}")))
        .collect()
}

/// The IAM entity an ARN names: its account, kind (`role`, `user`, `group`) and name.
fn entity(arn: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, "iam", "", account, resource] = parts[..] else {
        return None;
    };
    let (kind, path) = resource.split_once('/')?;
    let name = path.rsplit('/').next().filter(|name| !name.is_empty())?;
    let valid = !account.is_empty() && ["role", "user", "group"].contains(&kind);
    valid.then_some((account, kind, name))
}

/// `ContextEntries.member.N`: each key with its (first) value; a key without values is absent.
fn context_entries(body: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let mut context = BTreeMap::new();
    for n in 1.. {
        let prefix = format!("ContextEntries.member.{n}.");
        let given = body
            .as_object()
            .is_some_and(|form| form.keys().any(|k| k.starts_with(&prefix)));
        if !given {
            break;
        }
        let field = |name: &str| string_field(body, &format!("{prefix}{name}"));
        let name = field("ContextKeyName")
            .ok_or_else(|| not_null(&format!("contextEntries.{n}.member.contextKeyName")))?;
        if let Some(bad) = field("ContextKeyType").filter(|t| !CONTEXT_KEY_TYPES.contains(t)) {
            return Err(validation(format!(
                "Value '{bad}' at 'contextEntries.{n}.member.contextKeyType' failed to satisfy \
                 constraint: Member must satisfy enum value set: [{}]",
                CONTEXT_KEY_TYPES.join(", ")
            )));
        }
        if let Some(value) = members(body, &format!("{prefix}ContextKeyValues")).first() {
            context.insert(name.to_string(), value.to_string());
        }
    }
    Ok(context)
}

fn max_items(body: &Value) -> Result<usize, ApiError> {
    let Some(text) = string_field(body, "MaxItems") else {
        return Ok(DEFAULT_MAX_ITEMS);
    };
    let bound = match text.parse::<i64>() {
        Ok(n) if n < 1 => "greater than or equal to 1".to_string(),
        Ok(n) if n as usize > MAX_ITEMS_LIMIT => format!("less than or equal to {MAX_ITEMS_LIMIT}"),
        Ok(n) => return Ok(n as usize),
        Err(_) => "be a number".to_string(),
    };
    let verb = if bound.starts_with("be ") {
        ""
    } else {
        "have value "
    };
    Err(validation(format!(
        "Value '{text}' at 'maxItems' failed to satisfy constraint: Member must {verb}{bound}"
    )))
}

/// The resources to simulate on: `ResourceArns` (absent: `*`), each `*` or an ARN.
fn resource_arns(body: &Value) -> Result<Vec<&str>, ApiError> {
    let resources = members(body, "ResourceArns");
    let is_arn = |r: &&str| *r == "*" || (r.starts_with("arn:") && r.split(':').count() >= 6);
    if let Some(bad) = resources.iter().find(|r| !is_arn(r)) {
        return Err(client_error(
            "InvalidInput",
            format!("ResourceNames are not in a valid ARN format: {bad}."),
        ));
    }
    Ok(if resources.is_empty() {
        vec!["*"]
    } else {
        resources
    })
}

/// One `EvaluationResults` member.
fn result(action: &str, resource: &str, decision: Decision) -> String {
    format!(
        "<member><EvalActionName>{}</EvalActionName><EvalResourceName>{}</EvalResourceName>\
         <EvalDecision>{}</EvalDecision><MatchedStatements/><MissingContextValues/></member>",
        escape(action),
        escape(resource),
        decision.as_str()
    )
}

/// A `SimulatePrincipalPolicy` request, validated.
struct Simulation<'a> {
    source: &'a str,
    actions: Vec<&'a str>,
    resources: Vec<&'a str>,
    context: BTreeMap<String, String>,
    max_items: usize,
}

fn simulation(body: &Value) -> Result<Simulation<'_>, ApiError> {
    let source =
        string_field(body, "PolicySourceArn").ok_or_else(|| not_null("policySourceArn"))?;
    let actions = members(body, "ActionNames");
    if actions.is_empty() {
        return Err(not_null("actionNames"));
    }
    Ok(Simulation {
        source,
        actions,
        resources: resource_arns(body)?,
        context: context_entries(body)?,
        max_items: max_items(body)?,
    })
}

/// `SimulatePrincipalPolicy`, as IAM writes its answer.
pub(crate) fn simulate_principal_policy(
    state: &mut State,
    input: &Input,
) -> Result<String, ApiError> {
    let (caller, body) = (input.caller, input.body);
    let Simulation {
        source,
        actions,
        resources,
        mut context,
        max_items,
    } = simulation(body)?;
    let (account, kind, name) = entity(source)
        .ok_or_else(|| client_error("InvalidInput", format!("Invalid Entity Arn: {source}")))?;
    let action = "iam:SimulatePrincipalPolicy";
    caller
        .authorize(action, source, account, input.region)
        .map_err(|ApiError(_, _, message)| ApiError(403, "AccessDenied".into(), message))?;
    // IAM is per account: a role of another account is not found either.
    let policy = (account == caller.account && kind == "role")
        .then(|| role_policy(&state.identities, source))
        .flatten()
        .ok_or_else(|| {
            let message = format!("The {kind} with name {name} cannot be found.");
            ApiError(404, "NoSuchEntity".into(), message)
        })?;
    context
        .entry("aws:PrincipalAccount".into())
        .or_insert(account.into());
    let results: Vec<String> = actions
        .iter()
        .flat_map(|action| resources.iter().map(move |resource| (action, resource)))
        .map(|(action, resource)| {
            let decision = decide(policy, action, resource, account, &context);
            result(action, resource, decision)
        })
        .collect();
    let size = state
        .page_size
        .map_or(max_items, |page| page.min(max_items));
    let (page, next) = page_at(&results, string_field(body, "Marker"), size)
        .ok_or_else(|| client_error("InvalidInput", "Invalid Marker."))?;
    Ok(answer(&page, next))
}

/// The policy of a role the fake knows (`Some(None)`: it allows everything): the function's own
/// role, a seeded [`crate::Role`], or a [`crate::Principal`]'s role.
fn role_policy<'a>(identities: &'a Identities, arn: &str) -> Option<Option<&'a Policy>> {
    if arn == FUNCTION_ROLE {
        return Some(identities.policy.as_ref());
    }
    let seeded = identities.roles.iter().find(|role| role.arn == arn);
    if let Some(role) = seeded {
        return Some(role.policy.as_ref());
    }
    let principal = identities.principals.iter().find(|p| p.role == arn)?;
    Some(principal.policy.as_ref())
}

/// The decision on `action` on `resource`, with `aws:ResourceAccount` the resource's account
/// (or the role's, for `*` or an ARN without one) unless the context entries give it.
fn decide(
    policy: Option<&Policy>,
    action: &str,
    resource: &str,
    account: &str,
    context: &BTreeMap<String, String>,
) -> Decision {
    let Some(policy) = policy else {
        return Decision::Allowed;
    };
    let resource_account = resource
        .split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or(account);
    let mut context = context.clone();
    context
        .entry("aws:ResourceAccount".into())
        .or_insert(resource_account.into());
    policy.decide(&iam::Request {
        action: action.into(),
        resource: resource.into(),
        context,
    })
}

fn answer(results: &[String], next: Option<String>) -> String {
    let marker = next
        .as_ref()
        .map(|m| format!("<Marker>{}</Marker>", escape(m)))
        .unwrap_or_default();
    format!(
        "<SimulatePrincipalPolicyResponse xmlns=\"{}\"><SimulatePrincipalPolicyResult>\
         <IsTruncated>{}</IsTruncated><EvaluationResults>{}</EvaluationResults>{marker}\
         </SimulatePrincipalPolicyResult><ResponseMetadata>\
         <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>\
         </SimulatePrincipalPolicyResponse>",
        IAM_NAMESPACE,
        next.is_some(),
        results.concat(),
    )
}

#[cfg(test)]
#[path = "simulator_tests.rs"]
mod tests;
