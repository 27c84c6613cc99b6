//! DynamoDB's attribute values as the wire writes them (`{"S": "a"}`, `{"N": "12"}`, …):
//! validated as DynamoDB validates them, compared and sized as it does, and its numbers
//! ([`Number`]: decimal, 38 significant digits, magnitudes from 1E-130 to under 1E+126).

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

/// The types an attribute value may have.
pub(crate) const TYPES: [&str; 10] = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

/// An item, or a map's contents: attribute names to values.
pub(crate) type Item = Map<String, Value>;

/// The type and contents of a valid attribute value.
pub(crate) fn parts(value: &Value) -> (&str, &Value) {
    value
        .as_object()
        .and_then(|v| v.iter().next())
        .map_or(("", &Value::Null), |(kind, inner)| (kind.as_str(), inner))
}

fn invalid(message: impl std::fmt::Display) -> String {
    format!("One or more parameter values were invalid: {message}")
}

/// Checks an attribute value as DynamoDB does; the message of its ValidationException.
pub(crate) fn validate(value: &Value) -> Result<(), String> {
    let Some(object) = value.as_object() else {
        return Err("Supplied AttributeValue is not an object".into());
    };
    match object.len() {
        0 => return Err("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".into()),
        1 => {}
        _ => return Err("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes".into()),
    }
    let (kind, inner) = parts(value);
    let strings = || inner.as_array().filter(|l| l.iter().all(Value::is_string));
    let ok = match kind {
        "S" | "B" => inner.is_string(),
        "N" => return Number::parse(inner.as_str().unwrap_or("")).map(drop),
        "BOOL" => inner.is_boolean(),
        "NULL" if inner == &json!(true) => true,
        "NULL" => {
            return Err(invalid(
                "Null attribute value types must have the value of true",
            ))
        }
        "SS" | "NS" | "BS" => return validate_set(kind, strings()),
        "L" => {
            return inner
                .as_array()
                .map_or(Err(bad(kind)), |l| l.iter().try_for_each(validate))
        }
        "M" => {
            return inner
                .as_object()
                .map_or(Err(bad(kind)), |m| m.values().try_for_each(validate))
        }
        _ => {
            return Err(format!(
                "Supplied AttributeValue has an unknown datatype: {kind}"
            ))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(bad(kind))
    }
}

fn bad(kind: &str) -> String {
    format!("Supplied AttributeValue of type {kind} has a value of the wrong JSON type")
}

fn validate_set(kind: &str, members: Option<&Vec<Value>>) -> Result<(), String> {
    let members = members.ok_or_else(|| bad(kind))?;
    if members.is_empty() {
        let name = match kind {
            "SS" => "string",
            "NS" => "number",
            _ => "binary",
        };
        return Err(invalid(format!("An {name} set  may not be empty")));
    }
    let mut seen: Vec<&Value> = Vec::new();
    for member in members {
        let element = json!({ &kind[..1]: member });
        validate(&element)?;
        if seen
            .iter()
            .any(|s| equal(&json!({ &kind[..1]: s }), &element))
        {
            let listed: Vec<&str> = members.iter().filter_map(Value::as_str).collect();
            return Err(invalid(format!(
                "Input collection [{}] contains duplicates.",
                listed.join(", ")
            )));
        }
        seen.push(member);
    }
    Ok(())
}

/// Whether two valid values are equal as DynamoDB compares them: numbers by value, sets
/// whatever their order.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    let ((ka, va), (kb, vb)) = (parts(a), parts(b));
    if ka != kb {
        return false;
    }
    let members = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match ka {
        "N" => compare(a, b) == Some(Ordering::Equal),
        "SS" | "NS" | "BS" => {
            let (ma, mb) = (members(va), members(vb));
            let element = |m: &Value| json!({ &ka[..1]: m });
            ma.len() == mb.len()
                && ma
                    .iter()
                    .all(|x| mb.iter().any(|y| equal(&element(x), &element(y))))
        }
        "L" => {
            let (la, lb) = (members(va), members(vb));
            la.len() == lb.len() && la.iter().zip(&lb).all(|(x, y)| equal(x, y))
        }
        "M" => {
            let empty = Map::new();
            let (ma, mb) = (
                va.as_object().unwrap_or(&empty),
                vb.as_object().unwrap_or(&empty),
            );
            ma.len() == mb.len()
                && ma
                    .iter()
                    .all(|(k, x)| mb.get(k).is_some_and(|y| equal(x, y)))
        }
        _ => va == vb,
    }
}

/// How two values order, when both are numbers, strings or binaries of the same type.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    let ((ka, va), (kb, vb)) = (parts(a), parts(b));
    match (ka, kb) {
        ("N", "N") => {
            let (x, y) = (number(va).ok()?, number(vb).ok()?);
            Some(x.cmp(&y))
        }
        ("S", "S") | ("B", "B") => Some(va.as_str()?.as_bytes().cmp(vb.as_str()?.as_bytes())),
        _ => None,
    }
}

fn number(value: &Value) -> Result<Number, String> {
    Number::parse(value.as_str().unwrap_or(""))
}

/// A value in its canonical form: numbers as DynamoDB returns them (`"01.50"` → `"1.5"`).
pub(crate) fn canonical(value: &Value) -> Value {
    let (kind, inner) = parts(value);
    let canonical_number = |n: &Value| number(n).map_or(n.clone(), |n| json!(n.to_string()));
    match kind {
        "N" => json!({ "N": canonical_number(inner) }),
        "NS" => {
            json!({ "NS": inner.as_array().map(|l| l.iter().map(canonical_number).collect::<Vec<_>>()) })
        }
        "L" => {
            json!({ "L": inner.as_array().map(|l| l.iter().map(canonical).collect::<Vec<_>>()) })
        }
        "M" => json!({ "M": inner.as_object().map(canonical_item) }),
        _ => value.clone(),
    }
}

pub(crate) fn canonical_item(item: &Item) -> Item {
    item.iter()
        .map(|(name, value)| (name.clone(), canonical(value)))
        .collect()
}

/// An item's size as DynamoDB counts it (names and values in bytes), near enough to enforce
/// its 400 KB limit.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, v)| name.len() + size(v)).sum()
}

fn size(value: &Value) -> usize {
    let (kind, inner) = parts(value);
    let text = |v: &Value| v.as_str().map_or(0, str::len);
    let list = || inner.as_array().map_or(&[][..], Vec::as_slice);
    match kind {
        "S" => text(inner),
        "B" => text(inner) * 3 / 4,
        "N" => text(inner) / 2 + 2,
        "SS" | "BS" => list().iter().map(text).sum(),
        "NS" => list().iter().map(|n| text(n) / 2 + 2).sum(),
        "L" => 3 + list().iter().map(|v| 1 + size(v)).sum::<usize>(),
        "M" => {
            3 + inner.as_object().map_or(0, |m| {
                m.iter().map(|(k, v)| 1 + k.len() + size(v)).sum::<usize>()
            })
        }
        _ => 1,
    }
}

/// A DynamoDB number: `mantissa × 10^exponent`, the mantissa without trailing zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Number {
    mantissa: i128,
    exponent: i32,
}

const DIGITS: usize = 38;

impl Number {
    /// Parses a number as DynamoDB reads `N`: decimal, an optional exponent.
    pub(crate) fn parse(text: &str) -> Result<Number, String> {
        let not_a_number = || "A value provided cannot be converted into a number".to_string();
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (decimal, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (
                &rest[..at],
                rest[at + 1..].parse::<i32>().map_err(|_| not_a_number())?,
            ),
            None => (rest, 0),
        };
        let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
        let digits = format!("{whole}{fraction}");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_number());
        }
        let significant = digits.trim_start_matches('0');
        let trimmed = significant.trim_end_matches('0');
        if trimmed.len() > DIGITS {
            return Err("Attempting to store more than 38 significant digits in a Number".into());
        }
        let zeros = (significant.len() - trimmed.len()) as i32;
        let mantissa: i128 = trimmed.parse().unwrap_or(0);
        let exponent = exponent
            .saturating_sub(fraction.len() as i32)
            .saturating_add(zeros);
        Number::checked(if negative { -mantissa } else { mantissa }, exponent)
    }

    /// The number, normalized, unless out of DynamoDB's range.
    fn checked(mut mantissa: i128, mut exponent: i32) -> Result<Number, String> {
        if mantissa == 0 {
            return Ok(Number {
                mantissa: 0,
                exponent: 0,
            });
        }
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        let digits = mantissa.unsigned_abs().to_string().len() as i32;
        if digits as usize > DIGITS {
            return Err("Attempting to store more than 38 significant digits in a Number".into());
        }
        // The magnitude is below 10^(digits + exponent).
        if digits + exponent > 126 {
            return Err("Number overflow. Attempting to store a number with magnitude larger than supported range".into());
        }
        if exponent < -130 {
            return Err("Number underflow. Attempting to store a number with magnitude smaller than supported range".into());
        }
        Ok(Number { mantissa, exponent })
    }

    /// `self + other`, `other` negated when `subtract`.
    pub(crate) fn add(self, other: Number, subtract: bool) -> Result<Number, String> {
        let other = if subtract {
            Number {
                mantissa: -other.mantissa,
                ..other
            }
        } else {
            other
        };
        let exponent = self.exponent.min(other.exponent);
        let too_many =
            || "Attempting to store more than 38 significant digits in a Number".to_string();
        let scale = |n: Number| {
            let shift = u32::try_from(n.exponent - exponent).ok()?;
            10i128.checked_pow(shift)?.checked_mul(n.mantissa)
        };
        let (a, b) = (
            scale(self).ok_or_else(too_many)?,
            scale(other).ok_or_else(too_many)?,
        );
        Number::checked(a.checked_add(b).ok_or_else(too_many)?, exponent)
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| n.mantissa.signum();
        if sign(self) != sign(other) || sign(self) == 0 {
            return sign(self).cmp(&sign(other));
        }
        // Same sign: compare magnitudes by their order, then their digits.
        let digits = |n: &Number| n.mantissa.unsigned_abs().to_string();
        let (da, db) = (digits(self), digits(other));
        let order = |n: &Number, d: &str| d.len() as i32 + n.exponent;
        let width = da.len().max(db.len());
        let magnitude = order(self, &da)
            .cmp(&order(other, &db))
            .then_with(|| format!("{da:0<width$}").cmp(&format!("{db:0<width$}")));
        if sign(self) < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        if self.exponent >= 0 {
            let zeros = "0".repeat(self.exponent as usize);
            return write!(f, "{sign}{digits}{zeros}");
        }
        let point = self.exponent.unsigned_abs() as usize;
        if digits.len() > point {
            let (whole, fraction) = digits.split_at(digits.len() - point);
            write!(f, "{sign}{whole}.{fraction}")
        } else {
            write!(f, "{sign}0.{digits:0>point$}")
        }
    }
}
