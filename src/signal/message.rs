//! A message body, whatever envelope carried it: an EventBridge event, a CloudWatch alarm
//! notification or a CodeDeploy trigger notification.

use serde_json::Value;

use super::fields::{as_object, error, keys};
use super::model::{Around, Item, ParseError};
use super::{alarm, codedeploy, eventbridge};

/// Classifies a message body: an EventBridge event, a CloudWatch alarm notification or a
/// CodeDeploy trigger notification.
pub(super) fn message(value: &Value, what: &str, around: &Around) -> Result<Item, ParseError> {
    let object = as_object(value, what)?;
    if object.contains_key("detail-type") {
        eventbridge::event(value, what)
    } else if object.contains_key("AlarmName") {
        alarm::sns_message(value, what, around)
    } else if object.contains_key("deploymentId")
        && (object.contains_key("status") || object.contains_key("instanceStatus"))
    {
        codedeploy::trigger(value, what, around)
    } else {
        Err(error(format!(
            "{what} is JSON (keys: {}) but not a CloudWatch alarm notification (`AlarmName`), \
             a CodeDeploy trigger notification (`deploymentId` and `status` or \
             `instanceStatus`) or an EventBridge event (`detail-type`)",
            keys(object)
        )))
    }
}
