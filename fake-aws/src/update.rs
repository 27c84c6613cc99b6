//! DynamoDB's update expressions: `SET` (a value, a path, `if_not_exists`, `list_append`, one
//! `+` or `-`), `REMOVE`, `ADD` (numbers and sets) and `DELETE` (from sets), each clause at most
//! once, with comma lists; parsed, checked (operand types, overlapping paths), then applied
//! as DynamoDB applies them: every operand read from the item as it was.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::attribute::{equal, parts, Item, Number};
use crate::document::{get, put, remove, show, Element, Path};
use crate::expression::{Kind, Parser};

/// A parsed update expression.
#[derive(Clone, Debug, Default)]
pub(crate) struct Update {
    pub(crate) set: Vec<(Path, SetValue)>,
    pub(crate) remove: Vec<Path>,
    pub(crate) add: Vec<(Path, Value)>,
    pub(crate) delete: Vec<(Path, Value)>,
}

/// What `SET` assigns: a term, or the sum or difference (`true`) of two.
#[derive(Clone, Debug)]
pub(crate) enum SetValue {
    Term(Term),
    Arithmetic(Term, bool, Term),
}

/// An operand of `SET`: a path, a value, `if_not_exists(path, term)` or
/// `list_append(term, term)`.
#[derive(Clone, Debug)]
pub(crate) enum Term {
    Path(Path),
    Value(Value),
    IfNotExists(Path, Box<Term>),
    ListAppend(Box<Term>, Box<Term>),
}

const WRONG_TYPE: &str = "An operand in the update expression has an incorrect data type";

impl Update {
    /// Every path the update writes.
    pub(crate) fn paths(&self) -> Vec<&Path> {
        let set = self.set.iter().map(|(p, _)| p);
        let added = self.add.iter().chain(&self.delete).map(|(p, _)| p);
        set.chain(&self.remove).chain(added).collect()
    }

    /// The top-level attributes the update writes.
    pub(crate) fn attributes(&self) -> BTreeSet<&str> {
        self.paths().into_iter().filter_map(top).collect()
    }

    /// The item once updated; DynamoDB's message when the update cannot apply.
    pub(crate) fn apply(&self, old: &Item) -> Result<Item, String> {
        let values: Vec<Value> = self
            .set
            .iter()
            .map(|(_, value)| value.evaluate(old))
            .collect::<Result<_, _>>()?;
        let mut item = old.clone();
        for ((path, _), value) in self.set.iter().zip(values) {
            put(&mut item, path, value)?;
        }
        // Later elements of a list first, so each index names the element it named before.
        let mut removed: Vec<&Path> = self.remove.iter().collect();
        removed.sort_by(|a, b| b.cmp(a));
        for path in removed {
            remove(&mut item, path)?;
        }
        for (path, value) in &self.add {
            let added = match get(&item, path) {
                None => value.clone(),
                Some(current) => add(current, value)?,
            };
            put(&mut item, path, added)?;
        }
        for (path, value) in &self.delete {
            let Some(current) = get(&item, path) else {
                continue;
            };
            match subtract(current, value)? {
                Some(left) => put(&mut item, path, left)?,
                None => remove(&mut item, path)?,
            }
        }
        Ok(item)
    }
}

fn set_members(set: &Value) -> impl Iterator<Item = &Value> {
    parts(set).1.as_array().into_iter().flatten()
}

/// A path's top-level attribute.
fn top(path: &Path) -> Option<&str> {
    match path.first() {
        Some(Element::Name(name)) => Some(name),
        _ => None,
    }
}

/// `ADD`: a number's sum, or a set's union.
fn add(current: &Value, value: &Value) -> Result<Value, String> {
    let ((kc, c), (kv, v)) = (parts(current), parts(value));
    match (kc, kv) {
        ("N", "N") => number(c)?
            .add(number(v)?, false)
            .map(|n| json!({"N": n.to_string()})),
        ("SS", "SS") | ("NS", "NS") | ("BS", "BS") => {
            let element = |m: &Value| json!({ &kc[..1]: m });
            let mut members: Vec<Value> = set_members(current).cloned().collect();
            for m in set_members(value) {
                if !members.iter().any(|x| equal(&element(x), &element(m))) {
                    members.push(m.clone());
                }
            }
            Ok(json!({ kc: members }))
        }
        _ => Err(WRONG_TYPE.into()),
    }
}

/// `DELETE`: a set without the members given; `None` when none are left.
fn subtract(current: &Value, value: &Value) -> Result<Option<Value>, String> {
    let (kind, members) = parts(current);
    if kind != parts(value).0 {
        return Err(WRONG_TYPE.into());
    }
    let element = |m: &Value| json!({ &kind[..1]: m });
    let left: Vec<&Value> = (members.as_array().into_iter().flatten())
        .filter(|m| !set_members(value).any(|d| equal(&element(m), &element(d))))
        .collect();
    Ok((!left.is_empty()).then(|| json!({ kind: left })))
}

fn number(value: &Value) -> Result<Number, String> {
    Number::parse(value.as_str().unwrap_or_default())
}

impl SetValue {
    fn evaluate(&self, item: &Item) -> Result<Value, String> {
        let (left, minus, right) = match self {
            SetValue::Term(term) => return term.evaluate(item),
            SetValue::Arithmetic(left, minus, right) => (left, *minus, right),
        };
        let (a, b) = (left.evaluate(item)?, right.evaluate(item)?);
        match (parts(&a), parts(&b)) {
            (("N", a), ("N", b)) => {
                let sum = number(a)?.add(number(b)?, minus)?;
                Ok(json!({"N": sum.to_string()}))
            }
            _ => Err(WRONG_TYPE.into()),
        }
    }
}

impl Term {
    fn evaluate(&self, item: &Item) -> Result<Value, String> {
        match self {
            Term::Value(value) => Ok(value.clone()),
            Term::Path(path) => get(item, path).cloned().ok_or_else(|| {
                "The provided expression refers to an attribute that does not exist in the item"
                    .into()
            }),
            Term::IfNotExists(path, otherwise) => match get(item, path) {
                Some(value) => Ok(value.clone()),
                None => otherwise.evaluate(item),
            },
            Term::ListAppend(a, b) => {
                match (parts(&a.evaluate(item)?), parts(&b.evaluate(item)?)) {
                    (("L", Value::Array(a)), ("L", Value::Array(b))) => {
                        Ok(json!({ "L": a.iter().chain(b).collect::<Vec<_>>() }))
                    }
                    _ => Err(WRONG_TYPE.into()),
                }
            }
        }
    }
}

impl Parser<'_, '_, '_> {
    /// An update expression's clauses, each at most once.
    pub(crate) fn update(&mut self) -> Result<Update, String> {
        let mut update = Update::default();
        let mut seen = BTreeSet::new();
        loop {
            let token = self.peek();
            let clause = token.text.to_ascii_uppercase();
            if token.kind == Kind::End && !seen.is_empty() {
                break;
            }
            if token.kind != Kind::Word || !["SET", "REMOVE", "ADD", "DELETE"].contains(&&*clause) {
                return Err(self.syntax());
            }
            if !seen.insert(clause.clone()) {
                return Err(self.invalid(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            self.advance();
            loop {
                self.action(&clause, &mut update)?;
                if !self.eat(",") {
                    break;
                }
            }
        }
        let paths = update.paths();
        for (i, one) in paths.iter().enumerate() {
            if let Some(two) = paths[i + 1..]
                .iter()
                .find(|two| one.starts_with(two) || two.starts_with(one))
            {
                return Err(self.invalid(format!(
                    "Two document paths overlap with each other; must remove or rewrite one of \
                     these paths; path one: {}, path two: {}",
                    show(one),
                    show(two)
                )));
            }
        }
        Ok(update)
    }

    fn action(&mut self, clause: &str, update: &mut Update) -> Result<(), String> {
        let path = self.path()?;
        if clause == "REMOVE" {
            update.remove.push(path);
            return Ok(());
        }
        if clause == "SET" {
            self.expect("=")?;
            let value = self.set_value()?;
            update.set.push((path, value));
            return Ok(());
        }
        let value = self.value()?;
        let kind = parts(&value).0;
        let sets = ["SS", "NS", "BS"];
        if !(sets.contains(&kind) || (clause == "ADD" && kind == "N")) {
            let name = match kind {
                "S" => "STRING",
                "N" => "NUMBER",
                "B" => "BINARY",
                "BOOL" => "BOOLEAN",
                "L" => "LIST",
                "M" => "MAP",
                other => other,
            };
            return Err(self.invalid(format!(
                "Incorrect operand type for operator or function; operator: {clause}, operand \
                 type: {name}"
            )));
        }
        let list = if clause == "ADD" {
            &mut update.add
        } else {
            &mut update.delete
        };
        list.push((path, value));
        Ok(())
    }

    fn set_value(&mut self) -> Result<SetValue, String> {
        let left = self.term()?;
        let minus = match (self.peek().kind, self.peek().text) {
            (Kind::Symbol, "+") => false,
            (Kind::Symbol, "-") => true,
            _ => return Ok(SetValue::Term(left)),
        };
        self.advance();
        let right = self.term()?;
        for side in [&left, &right] {
            if let Term::Value(v) = side {
                if parts(v).0 != "N" {
                    return Err(self.wrong_operand(if minus { "-" } else { "+" }, v));
                }
            }
        }
        Ok(SetValue::Arithmetic(left, minus, right))
    }

    /// An operand of `SET`: a path, a value, `if_not_exists(path, term)` or
    /// `list_append(term, term)`.
    fn term(&mut self) -> Result<Term, String> {
        if !self.is_call() {
            return match self.peek().kind {
                Kind::Value => Ok(Term::Value(self.value()?)),
                _ => Ok(Term::Path(self.path()?)),
            };
        }
        let name = self.call()?;
        let term = match name {
            "if_not_exists" => {
                let path = self.path()?;
                self.expect(",")?;
                Term::IfNotExists(path, Box::new(self.term()?))
            }
            "list_append" => {
                let first = self.term()?;
                self.expect(",")?;
                let second = self.term()?;
                for side in [&first, &second] {
                    if let Term::Value(v) = side {
                        if parts(v).0 != "L" {
                            return Err(self.wrong_operand(name, v));
                        }
                    }
                }
                Term::ListAppend(Box::new(first), Box::new(second))
            }
            "attribute_exists"
            | "attribute_not_exists"
            | "attribute_type"
            | "begins_with"
            | "contains"
            | "size" => {
                return Err(self.invalid(format!(
                    "The function is not allowed in an update expression; function: {name}"
                )))
            }
            _ => return Err(self.invalid(format!("Invalid function name; function: {name}"))),
        };
        self.expect(")")?;
        Ok(term)
    }
}
