//! The Resource Groups Tagging API in one account and region: the alarms tagged for an
//! application (`GetResources`, every page).

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use aws_sdk_resourcegroupstagging::Client;

use super::calls::{Calls, Deadline};
use super::errors::aws_error;
use crate::types::AwsError;

/// An alarm the tagging API lists, with the tags it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tagged {
    pub name: String,
    pub tags: BTreeMap<String, String>,
}

pub struct Tagging {
    client: Client,
    calls: Calls,
}

impl Tagging {
    pub fn new(base: &SdkConfig) -> Self {
        Tagging {
            client: Client::new(base),
            calls: Calls::default(),
        }
    }

    /// The CloudWatch alarms whose tag `key` is `value` (any value: `None`), as the API lists
    /// them. It also lists alarms that had the tag once, so callers check the returned tags
    /// again.
    pub async fn alarms_tagged(
        &self,
        deadline: Deadline,
        key: &str,
        value: Option<&str>,
    ) -> Result<Vec<Tagged>, AwsError> {
        let filter = TagFilter::builder()
            .key(key)
            .set_values(value.map(|v| vec![v.into()]));
        let filter = filter.build();
        let mut pages = self
            .client
            .get_resources()
            .resource_type_filters("cloudwatch:alarm")
            .tag_filters(filter)
            .into_paginator()
            .send();
        let work = async {
            let mut alarms = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| aws_error("GetResources", e))?;
                for mapping in page.resource_tag_mapping_list() {
                    // arn:aws:cloudwatch:region:account:alarm:name (the name may hold colons).
                    let arn = mapping.resource_arn().unwrap_or_default();
                    let Some(name) = arn.splitn(7, ':').nth(6) else {
                        continue;
                    };
                    let tags = mapping
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect();
                    alarms.push(Tagged {
                        name: name.to_string(),
                        tags,
                    });
                }
            }
            Ok(alarms)
        };
        self.calls.run(deadline, "GetResources", work).await
    }
}
