//! Identity-based IAM policies, evaluated as IAM does for the calls the fake serves: an
//! explicit `Deny` wins, else an `Allow` whose action, resource and conditions all match, else
//! the call is denied. Resources are the ARNs of the resource types the Service Authorization
//! Reference lists for each action, or `*` for an action that lists none.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// A policy document: `{"Statement": [...]}` (other top-level keys are ignored).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Policy {
    #[serde(rename = "Statement", deserialize_with = "one_or_many")]
    pub statements: Vec<Statement>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement; `NotAction`, `NotResource` and `Principal` are not supported (an identity
/// policy of this project uses none).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[serde(rename = "Sid", default)]
    pub sid: Option<String>,
    #[serde(rename = "Effect")]
    pub effect: Effect,
    #[serde(rename = "Action", deserialize_with = "one_or_many")]
    pub actions: Vec<String>,
    #[serde(rename = "Resource", deserialize_with = "one_or_many")]
    pub resources: Vec<String>,
    /// Operator → condition key → values.
    #[serde(rename = "Condition", default)]
    pub condition: BTreeMap<String, BTreeMap<String, OneOrMany>>,
}

/// A JSON string or list of strings.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(value) => vec![value.as_str()],
            OneOrMany::Many(values) => values.iter().map(String::as_str).collect(),
        }
    }
}

fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        One(T),
        Many(Vec<T>),
    }
    Ok(match Either::deserialize(deserializer)? {
        Either::One(one) => vec![one],
        Either::Many(many) => many,
    })
}

/// A request to authorize: the action, the resource, and the request's condition keys
/// (`aws:RequestedRegion`, `aws:ResourceAccount`, …).
#[derive(Clone, Debug)]
pub struct Request {
    pub action: String,
    pub resource: String,
    pub context: BTreeMap<String, String>,
}

/// What IAM decides for a request, as the policy simulator's `EvalDecision` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// No `Allow` statement matched (nor any `Deny`).
    ImplicitDeny,
}

impl Decision {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

impl Policy {
    /// IAM's decision on `request`: an explicit deny wins, else an allow, else an implicit deny.
    pub fn decide(&self, request: &Request) -> Decision {
        let matching: Vec<&Statement> = self
            .statements
            .iter()
            .filter(|statement| statement.applies(request))
            .collect();
        let has = |effect| matching.iter().any(|s| s.effect == effect);
        if has(Effect::Deny) {
            Decision::ExplicitDeny
        } else if has(Effect::Allow) {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        }
    }

    /// Whether the policy allows `request`.
    pub fn allows(&self, request: &Request) -> bool {
        self.decide(request) == Decision::Allowed
    }
}

impl Statement {
    fn applies(&self, request: &Request) -> bool {
        self.actions
            .iter()
            .any(|pattern| wildcard(&pattern.to_lowercase(), &request.action.to_lowercase()))
            && self
                .resources
                .iter()
                .any(|pattern| wildcard(pattern, &request.resource))
            && self.condition.iter().all(|(operator, keys)| {
                keys.iter().all(|(key, values)| {
                    condition(operator, request.context.get(key), &values.values())
                })
            })
    }
}

/// Whether one condition holds. An operator the fake does not know never holds (so a policy
/// relying on one is denied, as a typo is in IAM), and a key the request lacks holds only for
/// the `…IfExists` forms.
fn condition(operator: &str, value: Option<&String>, wanted: &[&str]) -> bool {
    let (operator, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let Some(value) = value else {
        return if_exists;
    };
    let equal = |w: &&str| *w == value;
    let like = |w: &&str| wildcard(w, value);
    match operator {
        "StringEquals" | "ArnEquals" => wanted.iter().any(equal),
        "StringNotEquals" | "ArnNotEquals" => !wanted.iter().any(equal),
        "StringEqualsIgnoreCase" => wanted.iter().any(|w| w.eq_ignore_ascii_case(value)),
        "StringLike" | "ArnLike" => wanted.iter().any(like),
        "StringNotLike" | "ArnNotLike" => !wanted.iter().any(like),
        _ => false,
    }
}

/// IAM wildcards: `*` matches any run of characters, `?` any one character.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(action: &str, resource: &str, region: &str) -> Request {
        Request {
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::from([("aws:RequestedRegion".into(), region.into())]),
        }
    }

    fn policy(json: &str) -> Policy {
        serde_json::from_str(json).expect("a policy")
    }

    const GROUP: &str = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:shop/prod";

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard("*", ""));
        assert!(wildcard(
            "arn:aws:codedeploy:*:1:deploymentgroup:shop/*",
            "arn:aws:codedeploy:us-east-1:1:deploymentgroup:shop/prod"
        ));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "ac"));
        assert!(!wildcard("arn:*:application:*", "*"));
        assert!(wildcard("*", "*"));
    }

    #[test]
    fn an_allow_must_match_action_resource_and_conditions() {
        let p = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": ["codedeploy:ListDeployments"],
                "Resource": "arn:aws:codedeploy:*:123456789012:deploymentgroup:shop/*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}}]}"#,
        );
        assert!(p.allows(&request("codedeploy:ListDeployments", GROUP, "us-east-1")));
        assert!(p.allows(&request("CodeDeploy:listdeployments", GROUP, "us-east-1")));
        assert!(!p.allows(&request("codedeploy:ListDeployments", GROUP, "eu-west-1")));
        assert!(!p.allows(&request("codedeploy:StopDeployment", GROUP, "us-east-1")));
        let other = GROUP.replace("shop/prod", "billing/prod");
        assert!(!p.allows(&request("codedeploy:ListDeployments", &other, "us-east-1")));
    }

    #[test]
    fn an_action_without_resource_types_needs_a_star_resource() {
        let scoped = policy(&format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Action": "codedeploy:StopDeployment",
                "Resource": "{GROUP}"}}]}}"#
        ));
        assert!(!scoped.allows(&request("codedeploy:StopDeployment", "*", "us-east-1")));
        let star = policy(
            r#"{"Statement": {"Effect": "Allow", "Action": "codedeploy:*", "Resource": "*"}}"#,
        );
        assert!(star.allows(&request("codedeploy:StopDeployment", "*", "us-east-1")));
    }

    #[test]
    fn an_explicit_deny_wins_and_unknown_operators_never_hold() {
        let p = policy(
            r#"{"Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "codedeploy:StopDeployment", "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}]}"#,
        );
        assert!(p.allows(&request("codedeploy:StopDeployment", "*", "us-east-1")));
        assert!(!p.allows(&request("codedeploy:StopDeployment", "*", "eu-west-1")));
        let typo = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"StringEqual": {"aws:RequestedRegion": "us-east-1"}}}]}"#,
        );
        assert!(!typo.allows(&request("codedeploy:StopDeployment", "*", "us-east-1")));
        let missing_key = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": "1"}}}]}"#,
        );
        assert!(!missing_key.allows(&request("codedeploy:StopDeployment", "*", "us-east-1")));
    }

    #[test]
    fn decisions_tell_an_explicit_deny_from_an_implicit_one() {
        let p = policy(
            r#"{"Statement": [
                {"Effect": "Allow", "Action": "codedeploy:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "codedeploy:StopDeployment", "Resource": "*"}]}"#,
        );
        let decide = |action| p.decide(&request(action, "*", "us-east-1"));
        assert_eq!(decide("codedeploy:ListDeployments"), Decision::Allowed);
        assert_eq!(decide("codedeploy:StopDeployment"), Decision::ExplicitDeny);
        assert_eq!(decide("sts:AssumeRole"), Decision::ImplicitDeny);
        assert_eq!(Decision::ExplicitDeny.as_str(), "explicitDeny");
        assert_eq!(Decision::ImplicitDeny.as_str(), "implicitDeny");
    }
}
