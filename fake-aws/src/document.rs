//! Document paths in items (`a`, `a.b`, `a[0]`): the values they name, read, set and removed
//! as DynamoDB's expressions do.

use serde_json::Value;

use crate::attribute::{parts, Item};

/// An element of a document path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Element {
    Name(String),
    Index(usize),
}

/// A document path: a top-level name, then names of maps and indexes of lists.
pub(crate) type Path = Vec<Element>;

const INVALID_PATH: &str =
    "The document path provided in the update expression is invalid for update";

/// The value at `path` in `item`, if there is one.
pub(crate) fn get<'v>(item: &'v Item, path: &[Element]) -> Option<&'v Value> {
    let (Element::Name(first), rest) = path.split_first()? else {
        return None;
    };
    let mut value = item.get(first)?;
    for element in rest {
        let (kind, inner) = parts(value);
        value = match (kind, element) {
            ("M", Element::Name(name)) => inner.get(name)?,
            ("L", Element::Index(index)) => inner.get(*index)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A path as DynamoDB's messages show it: `[a, b, [0]]`.
pub(crate) fn show(path: &[Element]) -> String {
    let elements: Vec<String> = path
        .iter()
        .map(|e| match e {
            Element::Name(name) => name.clone(),
            Element::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", elements.join(", "))
}

/// The map or list at `path` in `item`, to change one of its elements.
fn container<'v>(item: &'v mut Item, path: &[Element]) -> Result<&'v mut Value, String> {
    let (Some(Element::Name(first)), rest) = (path.first(), path.get(1..).unwrap_or_default())
    else {
        return Err(INVALID_PATH.into());
    };
    let mut value = item.get_mut(first).ok_or(INVALID_PATH)?;
    for element in rest {
        let inner = value.as_object_mut().and_then(|v| v.values_mut().next());
        value = match (inner, element) {
            (Some(Value::Object(map)), Element::Name(name)) => map.get_mut(name),
            (Some(Value::Array(list)), Element::Index(index)) => list.get_mut(*index),
            _ => None,
        }
        .ok_or(INVALID_PATH)?;
    }
    Ok(value)
}

/// Sets the value at `path`; past a list's end, appends it.
pub(crate) fn put(item: &mut Item, path: &[Element], value: Value) -> Result<(), String> {
    let Some((last, parent)) = path.split_last() else {
        return Err(INVALID_PATH.into());
    };
    if parent.is_empty() {
        let Element::Name(name) = last else {
            return Err(INVALID_PATH.into());
        };
        item.insert(name.clone(), value);
        return Ok(());
    }
    let parent = container(item, parent)?;
    match (
        parent.as_object_mut().and_then(|v| v.values_mut().next()),
        last,
    ) {
        (Some(Value::Object(map)), Element::Name(name)) => {
            map.insert(name.clone(), value);
        }
        (Some(Value::Array(list)), Element::Index(index)) if *index < list.len() => {
            list[*index] = value;
        }
        (Some(Value::Array(list)), Element::Index(_)) => list.push(value),
        _ => return Err(INVALID_PATH.into()),
    }
    Ok(())
}

/// Removes the value at `path`, if it is there.
pub(crate) fn remove(item: &mut Item, path: &[Element]) -> Result<(), String> {
    let Some((last, parent)) = path.split_last() else {
        return Err(INVALID_PATH.into());
    };
    if parent.is_empty() {
        if let Element::Name(name) = last {
            item.remove(name);
        }
        return Ok(());
    }
    let parent = container(item, parent)?;
    match (
        parent.as_object_mut().and_then(|v| v.values_mut().next()),
        last,
    ) {
        (Some(Value::Object(map)), Element::Name(name)) => {
            map.remove(name);
        }
        (Some(Value::Array(list)), Element::Index(index)) if *index < list.len() => {
            list.remove(*index);
        }
        (Some(Value::Array(_)), Element::Index(_)) => {}
        _ => return Err(INVALID_PATH.into()),
    }
    Ok(())
}
