//! Shared by the redeploy tests: a Server release that just finished, its revisions in S3, and
//! the alarm that finds it.

use std::time::{Duration, SystemTime};

use fake_aws::Deployment;
use serde_json::{json, Value};

use super::{alarm_event, tagged, HOME};

pub const WITHIN: (&str, &str) = ("ROLLBACK_COMPLETED_WITHIN", "1800");

pub fn minutes_ago(minutes: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(minutes * 60)
}

/// A revision in S3 as `aws deploy push` registers it: with the object's ETag, so a redeploy
/// deploys exactly that object.
pub fn s3(key: &str) -> Value {
    json!({"revisionType": "S3",
           "s3Location": {"bucket": "shop-releases", "key": key, "bundleType": "zip",
                          "eTag": format!("etag-of-{key}")}})
}

/// A release that went out 40 minutes ago and finished `finished` minutes ago, on top of v1.
pub fn finished_release(finished: u64) -> Deployment {
    Deployment::new(HOME, "d-BADRELEA1", "shop", "prod")
        .created(minutes_ago(40))
        .succeeded(minutes_ago(finished))
        .revisions(s3("v2.zip"), Some(s3("v1.zip")))
}

/// `checkout-5xx`, tagged for shop/prod, entering ALARM now.
pub fn alarm() -> Value {
    alarm_event("checkout-5xx", HOME, tagged("shop", "prod"))
}
