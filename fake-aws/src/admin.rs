//! The scripting interface under `/_fake/`: `GET` what was received (`stops`, `created`,
//! `calls`, `events`, `assumed`, `hooks`), the alarms, the metrics' datapoints, the target
//! groups, the tables with their items, the queues with their messages, or `POST reset` to
//! restore the seed.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Response, StatusCode};
use serde_json::json;

use crate::protocol::json_response;
use crate::State;

/// Answers `method` on `/_fake/{command}`.
pub(crate) fn admin(state: &mut State, method: &Method, command: &str) -> Response<Full<Bytes>> {
    match (method.as_str(), command) {
        ("GET", "stops") => json_response(StatusCode::OK, &json!(state.codedeploy.stops)),
        ("GET", "created") => json_response(StatusCode::OK, &json!(state.codedeploy.created)),
        ("GET", "calls") => json_response(StatusCode::OK, &json!(state.journal.calls)),
        ("GET", "events") => json_response(StatusCode::OK, &json!(state.events.events)),
        ("GET", "assumed") => json_response(StatusCode::OK, &json!(state.sts.assumed)),
        ("GET", "hooks") => json_response(StatusCode::OK, &json!(state.hooks.answers)),
        ("GET", "alarms") => json_response(StatusCode::OK, &json!(state.cloudwatch.alarms)),
        ("GET", "metrics") => json_response(StatusCode::OK, &json!(state.cloudwatch.metrics)),
        ("GET", "target-groups") => json_response(StatusCode::OK, &json!(state.elb.target_groups)),
        ("GET", "tables") => json_response(StatusCode::OK, &state.dynamodb.listing()),
        ("GET", "queues") => json_response(StatusCode::OK, &state.sqs.listing()),
        ("POST", "reset") => {
            state.reset();
            json_response(StatusCode::OK, &json!({"reset": true}))
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "use GET /_fake/{stops,created,calls,events,assumed,hooks,alarms,\
                                metrics,target-groups,tables,queues} or POST /_fake/reset"}),
        ),
    }
}
