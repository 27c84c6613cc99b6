//! CodeDeploy `ListApplications`: the applications of the caller's account and region, sorted
//! by name and paginated through `nextToken`. IAM: `codedeploy:ListApplications` takes no
//! resource type, so it is authorized on `*`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::codedeploy::{authorize, CodeDeploy};
use crate::protocol::ApiError;
use crate::{Input, State};

impl CodeDeploy {
    /// The distinct names of the applications of the deployments and groups in `account` and
    /// `region`, sorted.
    fn application_names(&self, account: &str, region: &str) -> Vec<String> {
        let from_deployments = self
            .deployments
            .iter()
            .filter(|d| d.is_in(account, region))
            .map(|d| d.application.clone());
        let from_groups = self
            .groups
            .iter()
            .filter(|g| g.account == account && g.region == region)
            .map(|g| g.application.clone());
        let unique: BTreeSet<String> = from_deployments.chain(from_groups).collect();
        unique.into_iter().collect()
    }
}

/// `ListApplications`: the applications of the caller's account and region.
pub(crate) fn list_applications(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let names = state
        .codedeploy
        .application_names(input.account(), input.region);
    let (page, next) = state.page(&names, input.body)?;
    Ok(json!({ "applications": page, "nextToken": next }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::codedeploy::CodeDeploy;
    use crate::iam::Policy;
    use crate::protocol::ApiError;
    use crate::router::call;
    use crate::{Deployment, Group, State, ACCOUNT};

    fn state() -> State {
        let group = |application: &str| Group {
            account: ACCOUNT.into(),
            region: "us-east-1".into(),
            application: application.into(),
            group: "prod".into(),
            alarms: Vec::new(),
        };
        let codedeploy = CodeDeploy {
            deployments: vec![
                Deployment::new("us-east-1", "d-AAAAAAAAA", "shop", "prod"),
                Deployment::new("us-east-1", "d-AAAAAAAAB", "shop", "beta"),
                Deployment::new("eu-west-1", "d-AAAAAAAAC", "europe", "prod"),
                Deployment::new("us-east-1", "d-AAAAAAAAD", "other", "prod")
                    .account("210987654321"),
            ],
            groups: [group("billing"), group("shop")].into_iter().collect(),
            ..CodeDeploy::default()
        };
        State {
            codedeploy,
            ..State::default()
        }
    }

    fn try_list(state: &mut State, body: serde_json::Value) -> Result<serde_json::Value, ApiError> {
        let operation = ("codedeploy", "ListApplications", "us-east-1");
        call(state, "AKIDEXAMPLE", operation, &body).map(|answer| answer.json())
    }

    fn list(state: &mut State, body: serde_json::Value) -> serde_json::Value {
        try_list(state, body).unwrap_or_else(|e| panic!("{} {}", e.1, e.2))
    }

    #[test]
    fn applications_are_the_distinct_names_of_the_account_and_region() {
        let answer = list(&mut state(), json!({}));
        assert_eq!(
            answer,
            json!({"applications": ["billing", "shop"], "nextToken": null})
        );
    }

    #[test]
    fn applications_come_in_pages() {
        let mut state = state();
        state.page_size = Some(1);
        let first = list(&mut state, json!({}));
        assert_eq!(
            first,
            json!({"applications": ["billing"], "nextToken": "page-1"})
        );
        let second = list(&mut state, json!({"nextToken": "page-1"}));
        assert_eq!(second, json!({"applications": ["shop"], "nextToken": null}));
        let error = try_list(&mut state, json!({"nextToken": "nonsense"}));
        assert_eq!(
            error.err().map(|e| e.1).as_deref(),
            Some("InvalidNextTokenException")
        );
    }

    #[test]
    fn listing_applications_needs_the_action_on_every_resource() {
        let mut state = state();
        let policy = |resource: &str| -> Policy {
            serde_json::from_value(json!({"Statement": {"Effect": "Allow",
                "Action": "codedeploy:ListApplications", "Resource": resource}}))
            .expect("a policy")
        };
        state.identities.policy = Some(policy("arn:aws:codedeploy:*:*:application:*"));
        let denied = try_list(&mut state, json!({}));
        assert_eq!(
            denied.err().map(|e| e.1).as_deref(),
            Some("AccessDeniedException")
        );
        state.identities.policy = Some(policy("*"));
        assert_eq!(
            list(&mut state, json!({}))["applications"],
            json!(["billing", "shop"])
        );
    }
}
