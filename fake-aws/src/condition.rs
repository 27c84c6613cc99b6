//! DynamoDB's condition expressions: comparisons (`= <> < <= > >=`), `BETWEEN`, `IN`, `AND`,
//! `OR`, `NOT`, parentheses (not redundant ones), and the functions `attribute_exists`,
//! `attribute_not_exists`, `attribute_type`, `begins_with`, `contains` and `size`; parsed, then
//! evaluated against an item as DynamoDB evaluates them (an attribute that is not there makes
//! a comparison false, but `<>` true).

use std::cmp::Ordering;

use serde_json::{json, Value};

use crate::attribute::{compare, equal, parts, Item, TYPES};
use crate::document::{get, Path};
use crate::expression::{Kind, Parser};

/// A parsed condition.
#[derive(Clone, Debug)]
pub(crate) enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    /// A function: its first operand a path.
    Function(Function, Vec<Operand>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    Exists,
    NotExists,
    Type,
    BeginsWith,
    Contains,
}

/// What a condition compares: a path, a value or `size(path)`.
#[derive(Clone, Debug)]
pub(crate) enum Operand {
    Path(Path),
    Value(Value),
    Size(Path),
}

impl Parser<'_, '_, '_> {
    /// A condition: `OR` binds loosest, then `AND`, then `NOT`.
    pub(crate) fn condition(&mut self) -> Result<Condition, String> {
        let mut left = self.conjunction()?;
        while self.eat("OR") {
            left = Condition::Or(Box::new(left), Box::new(self.conjunction()?));
        }
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Condition, String> {
        let mut left = self.negation()?;
        while self.eat("AND") {
            left = Condition::And(Box::new(left), Box::new(self.negation()?));
        }
        Ok(left)
    }

    fn negation(&mut self) -> Result<Condition, String> {
        if self.eat("NOT") {
            return Ok(Condition::Not(Box::new(self.negation()?)));
        }
        if self.peek().text == "(" {
            let open = self.position();
            self.expect("(")?;
            let condition = self.condition()?;
            self.expect(")")?;
            if self.redundant_parentheses(open) {
                return Err(self.invalid("The expression has redundant parentheses;"));
            }
            return Ok(condition);
        }
        if self.is_call() && self.peek().text != "size" {
            return self.function();
        }
        self.comparison()
    }

    /// A function that is a condition.
    fn function(&mut self) -> Result<Condition, String> {
        let name = self.call()?;
        let function = match name {
            "attribute_exists" => Function::Exists,
            "attribute_not_exists" => Function::NotExists,
            "attribute_type" => Function::Type,
            "begins_with" => Function::BeginsWith,
            "contains" => Function::Contains,
            "if_not_exists" | "list_append" => {
                return Err(self.invalid(format!(
                    "The function is not allowed in a condition expression; function: {name}"
                )))
            }
            _ => return Err(self.invalid(format!("Invalid function name; function: {name}"))),
        };
        let mut operands = vec![Operand::Path(self.path()?)];
        if !matches!(function, Function::Exists | Function::NotExists) {
            self.expect(",")?;
            operands.push(self.operand()?);
        }
        self.expect(")")?;
        if let [_, Operand::Value(v)] = &operands[..] {
            let (kind, inner) = parts(v);
            let type_name = kind == "S" && inner.as_str().is_some_and(|t| TYPES.contains(&t));
            if function == Function::Type && !type_name {
                return Err(self.invalid(format!(
                    "Invalid attribute type name found; type: {inner}, valid types: \
                     {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}};"
                )));
            }
            if function == Function::BeginsWith && !matches!(kind, "S" | "B") {
                return Err(self.wrong_operand(name, v));
            }
        }
        Ok(Condition::Function(function, operands))
    }

    /// A comparison, `BETWEEN` or `IN`.
    fn comparison(&mut self) -> Result<Condition, String> {
        let left = self.operand()?;
        if self.eat("BETWEEN") {
            let low = self.operand()?;
            self.expect("AND")?;
            let high = self.operand()?;
            if let (Operand::Value(l), Operand::Value(h)) = (&low, &high) {
                if compare(l, h) == Some(Ordering::Greater) {
                    return Err(self.invalid(format!(
                        "The BETWEEN operator requires upper bound to be greater than or equal \
                         to lower bound; lower bound operand: AttributeValue: {l}, upper bound \
                         operand: AttributeValue: {h}"
                    )));
                }
            }
            return Ok(Condition::Between(left, low, high));
        }
        if self.eat("IN") {
            self.expect("(")?;
            let mut list = vec![self.operand()?];
            while self.eat(",") {
                list.push(self.operand()?);
            }
            self.expect(")")?;
            return Ok(Condition::In(left, list));
        }
        let token = self.peek();
        let comparator = match (token.kind, token.text) {
            (Kind::Symbol, "=") => Comparator::Eq,
            (Kind::Symbol, "<>") => Comparator::Ne,
            (Kind::Symbol, "<") => Comparator::Lt,
            (Kind::Symbol, "<=") => Comparator::Le,
            (Kind::Symbol, ">") => Comparator::Gt,
            (Kind::Symbol, ">=") => Comparator::Ge,
            _ => return Err(self.syntax()),
        };
        self.advance();
        let right = self.operand()?;
        if !matches!(comparator, Comparator::Eq | Comparator::Ne) {
            for side in [&left, &right] {
                if let Operand::Value(v) = side {
                    if !matches!(parts(v).0, "N" | "S" | "B") {
                        return Err(self.wrong_operand(token.text, v));
                    }
                }
            }
        }
        Ok(Condition::Compare(left, comparator, right))
    }

    /// A condition's operand: a path, a value or `size(path)`.
    fn operand(&mut self) -> Result<Operand, String> {
        if self.peek().kind == Kind::Value {
            return Ok(Operand::Value(self.value()?));
        }
        if !self.is_call() {
            return Ok(Operand::Path(self.path()?));
        }
        let name = self.call()?;
        if name != "size" {
            return Err(self.invalid(format!(
                "The function is not allowed to be used this way in an expression; function: \
                 {name}"
            )));
        }
        let path = self.path()?;
        self.expect(")")?;
        Ok(Operand::Size(path))
    }
}

impl Condition {
    /// Whether the condition holds for `item` (`None`: there is no item).
    pub(crate) fn holds(&self, item: Option<&Item>) -> bool {
        let empty = Item::new();
        let item = item.unwrap_or(&empty);
        match self {
            Condition::And(a, b) => a.holds(Some(item)) && b.holds(Some(item)),
            Condition::Or(a, b) => a.holds(Some(item)) || b.holds(Some(item)),
            Condition::Not(a) => !a.holds(Some(item)),
            Condition::Compare(a, comparator, b) => {
                let (a, b) = (a.resolve(item), b.resolve(item));
                let (Some(a), Some(b)) = (a, b) else {
                    return *comparator == Comparator::Ne;
                };
                let order = compare(&a, &b);
                match comparator {
                    Comparator::Eq => equal(&a, &b),
                    Comparator::Ne => !equal(&a, &b),
                    Comparator::Lt => order == Some(Ordering::Less),
                    Comparator::Le => matches!(order, Some(Ordering::Less | Ordering::Equal)),
                    Comparator::Gt => order == Some(Ordering::Greater),
                    Comparator::Ge => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
                }
            }
            Condition::Between(x, low, high) => {
                let (Some(x), Some(low), Some(high)) =
                    (x.resolve(item), low.resolve(item), high.resolve(item))
                else {
                    return false;
                };
                let at_most =
                    |a, b| matches!(compare(a, b), Some(Ordering::Less | Ordering::Equal));
                at_most(&low, &x) && at_most(&x, &high)
            }
            Condition::In(x, list) => x.resolve(item).is_some_and(|x| {
                list.iter()
                    .any(|o| o.resolve(item).is_some_and(|v| equal(&x, &v)))
            }),
            Condition::Function(function, operands) => function.holds(item, operands),
        }
    }
}

impl Function {
    fn holds(self, item: &Item, operands: &[Operand]) -> bool {
        let Some(Operand::Path(path)) = operands.first() else {
            return false;
        };
        let target = get(item, path);
        let argument = operands.get(1).and_then(|o| o.resolve(item));
        match (self, target, argument) {
            (Function::Exists, target, _) => target.is_some(),
            (Function::NotExists, target, _) => target.is_none(),
            (Function::Type, Some(target), Some(kind)) => parts(&kind).1 == parts(target).0,
            (Function::BeginsWith, Some(target), Some(prefix)) => {
                let ((kt, t), (kp, p)) = (parts(target), parts(&prefix));
                kt == kp && matches!(kt, "S" | "B") && str_of(t).starts_with(str_of(p))
            }
            (Function::Contains, Some(target), Some(part)) => contains(target, &part),
            _ => false,
        }
    }
}

fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `contains(target, part)`: a substring of a string, a member of a set or a list.
fn contains(target: &Value, part: &Value) -> bool {
    let ((kt, t), (kp, p)) = (parts(target), parts(part));
    let members = t.as_array().map_or(&[][..], Vec::as_slice);
    match kt {
        "S" => kp == "S" && str_of(t).contains(str_of(p)),
        "SS" | "NS" | "BS" => {
            kp == &kt[..1] && members.iter().any(|m| equal(&json!({ kp: m }), part))
        }
        "L" => members.iter().any(|m| equal(m, part)),
        _ => false,
    }
}

impl Operand {
    /// The operand's value for `item`; `None` when its path is not there.
    fn resolve(&self, item: &Item) -> Option<Value> {
        match self {
            Operand::Value(value) => Some(value.clone()),
            Operand::Path(path) => get(item, path).cloned(),
            Operand::Size(path) => {
                let (kind, inner) = parts(get(item, path)?);
                let size = match kind {
                    "S" => str_of(inner).chars().count(),
                    "B" => str_of(inner).trim_end_matches('=').len() * 3 / 4,
                    "SS" | "NS" | "BS" | "L" => inner.as_array()?.len(),
                    "M" => inner.as_object()?.len(),
                    _ => return None,
                };
                Some(json!({ "N": size.to_string() }))
            }
        }
    }
}
