//! Accounts the function acts in: its own, with its role's credentials, and the target accounts
//! (`TARGET_ACCOUNTS`), where it assumes `TARGET_ROLE_NAME` with the SDK's own assume-role
//! credentials provider: one per account, shared by that account's clients in every region, its
//! credentials cached and refreshed by the SDK's identity cache.

use std::collections::HashMap;

use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use tokio::sync::Mutex;

use crate::types::{
    is_iam_name_char, partition, Account, AwsError, ASSUME_ROLE_FAILED, CREDENTIALS_ERROR,
};

/// Credentials for each account.
#[derive(Debug)]
pub(crate) struct Credentials {
    base: SdkConfig,
    role_name: String,
    session_name: String,
    assumed: Mutex<HashMap<String, SharedCredentialsProvider>>,
}

impl Credentials {
    /// Assumes `role_name` in target accounts, as a session named after `function_name` (so
    /// the target account's CloudTrail says which breaker acted).
    pub(crate) fn new(base: SdkConfig, role_name: &str, function_name: &str) -> Self {
        let session_name: String = function_name
            .chars()
            .filter(|&c| is_iam_name_char(c))
            .take(64)
            .collect();
        Credentials {
            base,
            role_name: role_name.into(),
            session_name: if session_name.len() < 2 {
                "deployment-circuit-breaker".into()
            } else {
                session_name
            },
            assumed: Mutex::new(HashMap::new()),
        }
    }

    /// The role assumed in a target account.
    pub(crate) fn role_arn(&self, account: &str) -> String {
        let partition = partition(self.base.region().map_or("", |r| r.as_ref()));
        format!("arn:{partition}:iam::{account}:role/{}", self.role_name)
    }

    /// The credentials provider for `account`: `None` for the function's own (the SDK
    /// configuration's), else the account's assume-role provider, built on first use.
    pub(crate) async fn provider(&self, account: &Account) -> Option<SharedCredentialsProvider> {
        let Account::Target(id) = account else {
            return None;
        };
        let mut assumed = self.assumed.lock().await;
        if let Some(provider) = assumed.get(id) {
            return Some(provider.clone());
        }
        let provider = AssumeRoleProvider::builder(self.role_arn(id))
            .session_name(&self.session_name)
            .configure(&self.base)
            .build()
            .await;
        let provider = SharedCredentialsProvider::new(provider);
        assumed.insert(id.clone(), provider.clone());
        Some(provider)
    }

    /// `error` as it should read for a call in `account`: made as the target role, and, when
    /// no credentials could be had there, a failed AssumeRole that says which role to create
    /// and where.
    pub(crate) fn explain(&self, account: &Account, mut error: AwsError) -> AwsError {
        let Account::Target(id) = account else {
            return error;
        };
        let role = self.role_arn(id);
        if error.code == CREDENTIALS_ERROR {
            error.code = ASSUME_ROLE_FAILED.into();
            error.message = format!(
                "could not assume {role}: {}; create the role in account {id} from \
                 templates/target-role.yaml, trusting this function's role (the central stack's \
                 FunctionRoleArn output), or take {id} out of TARGET_ACCOUNTS",
                error.message
            );
        }
        error.via_role = Some(role);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::Region;

    fn credentials(region: &'static str, function_name: &str) -> Credentials {
        let base = SdkConfig::builder()
            .region(Region::from_static(region))
            .build();
        Credentials::new(base, "deployment-circuit-breaker-target", function_name)
    }

    #[test]
    fn target_roles_are_named_in_the_partition_of_the_region() {
        assert_eq!(
            credentials("eu-west-1", "f").role_arn("222233334444"),
            "arn:aws:iam::222233334444:role/deployment-circuit-breaker-target"
        );
        assert!(credentials("cn-north-1", "f")
            .role_arn("2")
            .starts_with("arn:aws-cn:iam::2:"));
        assert!(credentials("us-gov-west-1", "f")
            .role_arn("2")
            .starts_with("arn:aws-us-gov:iam::2:"));
    }

    #[test]
    fn session_names_say_who_acted_in_what_sts_accepts() {
        assert_eq!(
            credentials("eu-west-1", "breaker-Function-AbC123").session_name,
            "breaker-Function-AbC123"
        );
        assert_eq!(
            credentials("eu-west-1", "a b/c").session_name,
            "abc",
            "characters STS refuses are left out"
        );
        assert_eq!(
            credentials("eu-west-1", "").session_name,
            "deployment-circuit-breaker"
        );
        assert_eq!(
            credentials("eu-west-1", &"x".repeat(80)).session_name.len(),
            64
        );
    }

    #[test]
    fn a_failed_assume_role_names_the_role_and_where_to_create_it() {
        let c = credentials("eu-west-1", "f");
        let error = AwsError::new("ListDeployments", CREDENTIALS_ERROR, "AccessDenied: no");
        let own = c.explain(&Account::Own("1".into()), error.clone());
        assert_eq!(own, error);
        let target = c.explain(&Account::Target("222233334444".into()), error);
        assert_eq!(target.code, ASSUME_ROLE_FAILED);
        assert!(target.message.contains(
            "could not assume arn:aws:iam::222233334444:role/deployment-circuit-breaker-target"
        ));
        assert!(target
            .message
            .contains("create the role in account 222233334444"));
        assert!(target.message.contains("templates/target-role.yaml"));
    }
}
