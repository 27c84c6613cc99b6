//! The protocol a request speaks, and answers in it: JSON 1.0 or 1.1 (`x-amz-target:
//! Prefix.Operation`), Smithy RPC v2 CBOR (`POST /service/{Service}/operation/{Operation}`, for
//! any JSON service: the same handlers, CBOR in and out), or query (STS, IAM and Elastic Load
//! Balancing: forms in, XML answers). Errors ([`ApiError`]) are `{"__type", "message"}` in JSON or CBOR, or query's XML;
//! CloudWatch and SQS are `awsQueryCompatible`: their errors also name their (query) code in
//! `x-amzn-query-error`. DynamoDB and SQS name their errors' Smithy namespaces in `__type`
//! (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`).

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::{cbor, dynamodb, sqs};

/// An error answer: HTTP status, AWS error code and message.
pub(crate) struct ApiError(pub u16, pub String, pub String);

/// An error answer with members beyond `__type` and `message` (DynamoDB's `Item` of an item
/// whose condition failed).
pub(crate) struct Failure(pub ApiError, pub Map<String, Value>);

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure(error, Map::new())
    }
}

/// A 400 with this code: how AWS answers a request it refuses.
pub(crate) fn client_error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError(400, code.into(), message.into())
}

pub(crate) const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub(crate) const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub(crate) const ELB_NAMESPACE: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wire {
    /// JSON, answered with the request's content type.
    Json(&'static str),
    Cbor,
    /// Query, its XML in this namespace.
    Query(&'static str),
}

/// How a service names its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Errors {
    /// `__type` is the code.
    Plain,
    /// `__type` is the code, which `x-amzn-query-error` repeats (CloudWatch).
    QueryCompatible,
    /// `__type` names the code's namespace.
    DynamoDb,
    /// A namespaced `__type`, and the query code in `x-amzn-query-error`.
    Sqs,
}

/// How to read a request and write its answer.
#[derive(Clone, Debug)]
pub(crate) struct Protocol {
    wire: Wire,
    /// The operation the target header or RPC v2 path names.
    operation: Option<String>,
    errors: Errors,
}

impl Protocol {
    /// The protocol as the request's path and headers tell it, before its service is known.
    pub(crate) fn of<B>(request: &Request<B>) -> Protocol {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let rpc = request
            .uri()
            .path()
            .strip_prefix("/service/")
            .and_then(|rest| rest.split_once("/operation/"))
            .map(|(_, operation)| operation.to_string());
        let cbor = rpc.is_some()
            || header("smithy-protocol") == "rpc-v2-cbor"
            || header("content-type").starts_with("application/cbor");
        let target = header("x-amz-target")
            .split_once('.')
            .map(|(_, operation)| operation.to_string());
        let json = if header("content-type").contains("json-1.0") {
            "application/x-amz-json-1.0"
        } else {
            "application/x-amz-json-1.1"
        };
        Protocol {
            wire: if cbor { Wire::Cbor } else { Wire::Json(json) },
            operation: rpc.or(target),
            errors: Errors::Plain,
        }
    }

    /// The protocol of a request to `service` (a SigV4 service name).
    pub(crate) fn for_service(mut self, service: &str) -> Protocol {
        match service {
            "sts" => self.wire = Wire::Query(STS_NAMESPACE),
            "iam" => self.wire = Wire::Query(IAM_NAMESPACE),
            "elasticloadbalancing" => self.wire = Wire::Query(ELB_NAMESPACE),
            "monitoring" => self.errors = Errors::QueryCompatible,
            "dynamodb" => self.errors = Errors::DynamoDb,
            "sqs" => self.errors = Errors::Sqs,
            _ => {}
        }
        self
    }

    pub(crate) fn is_query(&self) -> bool {
        matches!(self.wire, Wire::Query(_))
    }

    /// The request's input as JSON (a query form as an object of its parameters).
    pub(crate) fn parse(&self, bytes: &[u8]) -> Result<Value, ApiError> {
        match self.wire {
            Wire::Query(_) => Ok(form(bytes)),
            Wire::Json(_) => serde_json::from_slice(bytes)
                .map_err(|e| client_error("SerializationException", e.to_string())),
            Wire::Cbor => {
                cbor::decode(bytes).map_err(|e| client_error("SerializationException", e))
            }
        }
    }

    /// The operation called: from the target or path, or (query) the `Action` parameter.
    pub(crate) fn operation(&self, body: &Value) -> String {
        match self.wire {
            Wire::Query(_) => body["Action"].as_str().unwrap_or_default().to_string(),
            _ => self.operation.clone().unwrap_or_default(),
        }
    }

    /// A successful answer of a JSON service.
    pub(crate) fn answer(&self, body: &Value) -> Response<Full<Bytes>> {
        match self.wire {
            Wire::Cbor => cbor_response(StatusCode::OK, body),
            Wire::Json(content_type) => {
                with_content_type(json_response(StatusCode::OK, body), content_type)
            }
            Wire::Query(_) => json_response(StatusCode::OK, body),
        }
    }

    /// An error answer: `{"__type", "message"}` in JSON or CBOR, or query's XML.
    pub(crate) fn error(&self, error: ApiError) -> Response<Full<Bytes>> {
        self.failure(error.into())
    }

    /// An error answer with its extra members (JSON and CBOR only).
    pub(crate) fn failure(&self, Failure(error, fields): Failure) -> Response<Full<Bytes>> {
        let kind = if error.0 < 500 { "Sender" } else { "Receiver" };
        let (type_name, query_code) = match self.errors {
            Errors::Plain => (error.1.clone(), None),
            Errors::QueryCompatible => (error.1.clone(), Some(error.1.clone())),
            Errors::DynamoDb => (dynamodb::error_type(&error.1), None),
            Errors::Sqs => (sqs::error_type(&error.1), Some(sqs::query_code(&error.1))),
        };
        let ApiError(status, _, message) = &error;
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = fields;
        body.insert("__type".into(), json!(type_name));
        body.insert("message".into(), json!(message));
        let mut response = match self.wire {
            Wire::Cbor => cbor_response(status, &Value::Object(body)),
            Wire::Json(content_type) => {
                with_content_type(json_response(status, &Value::Object(body)), content_type)
            }
            Wire::Query(namespace) => error_response(error, namespace),
        };
        let query_error = query_code.map(|code| format!("{code};{kind}"));
        if let Some(value) = query_error.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert("x-amzn-query-error", value);
        }
        response
    }
}

fn with_content_type(
    mut response: Response<Full<Bytes>>,
    content_type: &'static str,
) -> Response<Full<Bytes>> {
    let value = HeaderValue::from_static(content_type);
    response.headers_mut().insert(CONTENT_TYPE, value);
    response
}

fn cbor_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/cbor")
        .header("smithy-protocol", "rpc-v2-cbor")
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(Full::new(Bytes::from(cbor::encode(body))))
        .expect("a static response is valid")
}

/// An `application/x-www-form-urlencoded` body as a JSON object of its parameters.
pub(crate) fn form(body: &[u8]) -> Value {
    let pairs: Map<String, Value> = form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
        .collect();
    Value::Object(pairs)
}

fn response(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(Full::new(Bytes::from(body)))
        .expect("a static response is valid")
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    response(status, "application/x-amz-json-1.1", body.to_string())
}

pub(crate) fn xml_response(body: String) -> Response<Full<Bytes>> {
    response(StatusCode::OK, "text/xml", body)
}

/// An error as query services such as STS and IAM write it, in their XML `namespace`.
fn error_response(
    ApiError(status, code, message): ApiError,
    namespace: &str,
) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = if status.is_client_error() {
        "Sender"
    } else {
        "Receiver"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{kind}</Type><Code>{}</Code>\
         <Message>{}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000\
         </RequestId></ErrorResponse>",
        escape(&code),
        escape(&message)
    );
    response(status, "text/xml", body)
}

/// Text as XML character data.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_as_sts_receives_them() {
        let body =
            b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A2%3Arole%2Fr&RoleSessionName=a+b%40c";
        let form = form(body);
        assert_eq!(form["Action"], "AssumeRole");
        assert_eq!(form["RoleArn"], "arn:aws:iam::2:role/r");
        assert_eq!(form["RoleSessionName"], "a b@c");
    }
}
