//! Smithy RPC v2 CBOR bodies as the JSON values the handlers take and give. Timestamps are
//! epoch seconds both ways: a request's tag 1 becomes a plain number, and an answer's number
//! is written as tag 1 (the SDK's decoder requires the tag) when its member holds a timestamp
//! or, as GetMetricData's `Timestamps`, a list of them.

use ciborium::Value as Cbor;
use serde_json::{Map, Number, Value};

/// CBOR's tag for epoch-based date/time.
const EPOCH_TAG: u64 = 1;

/// Whether a member named `key` holds a timestamp, as AWS names them: `…Timestamp`
/// (CloudWatch's `StateUpdatedTimestamp`), `…Time` (CodeDeploy's `createTime`, `completeTime`,
/// `startTime`, `endTime`) and `…At` (`lastUpdatedAt`); or a list of timestamps,
/// `…Timestamps` (GetMetricData's `Timestamps`).
pub(crate) fn is_timestamp(key: &str) -> bool {
    ["Timestamp", "Timestamps", "Time", "At"]
        .iter()
        .any(|suffix| key.ends_with(suffix))
}

/// A request body as JSON; an empty body is an empty input, as RPC v2 allows.
pub(crate) fn decode(bytes: &[u8]) -> Result<Value, String> {
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let value: Cbor = ciborium::from_reader(bytes).map_err(|e| format!("invalid CBOR: {e}"))?;
    to_json(value)
}

fn to_json(value: Cbor) -> Result<Value, String> {
    Ok(match value {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Text(text) => Value::String(text),
        Cbor::Integer(n) => {
            let n = i128::from(n);
            let number = match u64::try_from(n) {
                Ok(n) => Number::from(n),
                Err(_) => Number::from(i64::try_from(n).map_err(|_| "integer out of range")?),
            };
            Value::Number(number)
        }
        Cbor::Float(f) => Number::from_f64(f)
            .map(Value::Number)
            .ok_or("a float that JSON cannot hold")?,
        // Timestamps (tag 1) and any other tag: the tagged value itself.
        Cbor::Tag(_, inner) => to_json(*inner)?,
        Cbor::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Cbor::Map(pairs) => {
            let mut object = Map::new();
            for (key, value) in pairs {
                let Cbor::Text(key) = key else {
                    return Err("a map key that is not text".into());
                };
                object.insert(key, to_json(value)?);
            }
            Value::Object(object)
        }
        Cbor::Bytes(_) => return Err("byte strings are not supported by the fake".into()),
        other => return Err(format!("unsupported CBOR value {other:?}")),
    })
}

/// An answer as CBOR: `null` members left out (AWS sends none), timestamps as tag 1.
pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(&to_cbor(value, false), &mut bytes).expect("writing to a Vec succeeds");
    bytes
}

fn to_cbor(value: &Value, timestamp: bool) -> Cbor {
    match value {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::String(text) => Cbor::Text(text.clone()),
        Value::Number(n) if timestamp => Cbor::Tag(
            EPOCH_TAG,
            Box::new(Cbor::Float(n.as_f64().unwrap_or_default())),
        ),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(n), _) => Cbor::Integer(n.into()),
            (None, Some(n)) => Cbor::Integer(n.into()),
            _ => Cbor::Float(n.as_f64().unwrap_or_default()),
        },
        // The items of a list of timestamps are timestamps.
        Value::Array(items) => Cbor::Array(items.iter().map(|v| to_cbor(v, timestamp)).collect()),
        Value::Object(members) => Cbor::Map(
            members
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (Cbor::Text(key.clone()), to_cbor(value, is_timestamp(key))))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_are_tagged_and_nulls_left_out() {
        let bytes = encode(&json!({"StateUpdatedTimestamp": 1.5, "MaxRecords": 3, "x": null}));
        let value: Cbor = ciborium::from_reader(&bytes[..]).expect("CBOR");
        let pairs = value.into_map().expect("a map");
        let member = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key.as_text() == Some(name))
                .map(|(_, value)| value.clone())
        };
        assert_eq!(pairs.len(), 2);
        let tagged = Cbor::Tag(EPOCH_TAG, Box::new(Cbor::Float(1.5)));
        assert_eq!(member("StateUpdatedTimestamp"), Some(tagged));
        assert_eq!(member("MaxRecords"), Some(Cbor::Integer(3.into())));
    }

    #[test]
    fn a_list_of_timestamps_is_a_list_of_tagged_values() {
        let bytes = encode(&json!({"Timestamps": [60, 0.5], "Values": [41.0]}));
        let value: Cbor = ciborium::from_reader(&bytes[..]).expect("CBOR");
        let pairs = value.into_map().expect("a map");
        let tagged = |n: Cbor| Cbor::Tag(EPOCH_TAG, Box::new(n));
        let timestamps = Cbor::Array(vec![tagged(Cbor::Float(60.0)), tagged(Cbor::Float(0.5))]);
        assert_eq!(pairs[0], (Cbor::Text("Timestamps".into()), timestamps));
        let values = Cbor::Array(vec![Cbor::Float(41.0)]);
        assert_eq!(pairs[1], (Cbor::Text("Values".into()), values));
    }

    #[test]
    fn requests_decode_to_json() {
        let value = json!({"AlarmNames": ["a"], "MaxRecords": 2, "createTime": 1700000000.25});
        assert_eq!(decode(&encode(&value)), Ok(value));
        assert_eq!(decode(b""), Ok(json!({})));
        let mut bytes = Vec::new();
        ciborium::into_writer(&Cbor::Bytes(vec![1]), &mut bytes).expect("CBOR");
        assert!(decode(&bytes).is_err());
    }
}
