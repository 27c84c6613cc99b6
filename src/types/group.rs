//! Where things live: an account and region ([`Location`]), and a deployment group there
//! ([`GroupRef`]), named once so that the pieces cannot be swapped.

use std::fmt;

use super::names::{partition, Account};

/// One account and region.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub account: Account,
    pub region: String,
}

impl Location {
    pub fn new(account: Account, region: impl Into<String>) -> Location {
        Location {
            account,
            region: region.into(),
        }
    }
}

/// A deployment group: where it lives, its application and its name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupRef {
    pub account: String,
    pub region: String,
    pub application: String,
    pub group: String,
}

impl GroupRef {
    /// Its ARN (`arn:aws:codedeploy:<region>:<account>:deploymentgroup:<application>/<group>`).
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:codedeploy:{}:{}:deploymentgroup:{}/{}",
            partition(&self.region),
            self.region,
            self.account,
            self.application,
            self.group
        )
    }
}

impl fmt::Display for GroupRef {
    /// `application/group`: the account and region are said where they matter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.application, self.group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arn_names_the_partition_region_account_and_group() {
        let group = GroupRef {
            account: "222233334444".into(),
            region: "cn-north-1".into(),
            application: "shop".into(),
            group: "prod".into(),
        };
        assert_eq!(
            group.arn(),
            "arn:aws-cn:codedeploy:cn-north-1:222233334444:deploymentgroup:shop/prod"
        );
    }
}
