//! DynamoDB's expressions, parsed as DynamoDB parses them: the tokens, document paths (`a`,
//! `#n`, `a.b`, `a[0]`), placeholders and projections here; conditions in [`crate::condition`]
//! and update expressions in [`crate::update`]. What DynamoDB refuses is refused with its
//! ValidationException message: syntax errors, reserved words used as names, placeholders not
//! defined, and (by those modules) operands of the wrong type. [`Placeholders`] records which
//! placeholders were used, for the request to refuse those that were not.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::attribute::parts;
pub(crate) use crate::document::{Element, Path};
use crate::reserved::is_reserved;

/// The request's `ExpressionAttributeNames` and `ExpressionAttributeValues`, and those used.
pub(crate) struct Placeholders<'a> {
    pub(crate) names: &'a Map<String, Value>,
    pub(crate) values: &'a Map<String, Value>,
    pub(crate) used_names: BTreeSet<String>,
    pub(crate) used_values: BTreeSet<String>,
}

impl<'a> Placeholders<'a> {
    pub(crate) fn new(names: &'a Map<String, Value>, values: &'a Map<String, Value>) -> Self {
        Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Name,
    Value,
    Digits,
    Symbol,
    End,
}

/// A token, where it starts in the expression.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token<'s> {
    pub(crate) kind: Kind,
    pub(crate) text: &'s str,
    at: usize,
}

const SYMBOLS: [&str; 14] = [
    "<>", "<=", ">=", "(", ")", "[", "]", ",", ".", "=", "<", ">", "+", "-",
];

/// The tokens of `source`, ending with [`Kind::End`]; or those before the character that
/// starts none, and that character.
fn tokens(source: &str) -> Result<Vec<Token<'_>>, Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut at = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while at < source.len() {
        let rest = &source[at..];
        let c = rest.chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        }
        let run = |skip: usize| {
            skip + rest[skip..]
                .find(|c: char| !word(c))
                .unwrap_or(rest.len() - skip)
        };
        let (kind, len) = match c {
            '#' => (Kind::Name, run(1)),
            ':' => (Kind::Value, run(1)),
            '0'..='9' => (Kind::Digits, run(0)),
            c if c.is_ascii_alphabetic() || c == '_' => (Kind::Word, run(0)),
            _ => match SYMBOLS.iter().find(|s| rest.starts_with(*s)) {
                Some(symbol) => (Kind::Symbol, symbol.len()),
                None => (Kind::End, c.len_utf8()),
            },
        };
        let token = Token {
            kind,
            text: &rest[..len],
            at,
        };
        if kind == Kind::End || ((kind == Kind::Name || kind == Kind::Value) && len == 1) {
            tokens.push(token);
            return Err(tokens);
        }
        tokens.push(token);
        at += len;
    }
    tokens.push(Token {
        kind: Kind::End,
        text: "<EOF>",
        at: source.len(),
    });
    Ok(tokens)
}

/// Parses expressions of one kind (`ConditionExpression`, …), resolving placeholders.
pub(crate) struct Parser<'s, 'p, 'a> {
    source: &'s str,
    kind: &'static str,
    tokens: Vec<Token<'s>>,
    next: usize,
    placeholders: &'p mut Placeholders<'a>,
}

impl<'s, 'p, 'a> Parser<'s, 'p, 'a> {
    pub(crate) fn new(
        kind: &'static str,
        source: &'s str,
        placeholders: &'p mut Placeholders<'a>,
    ) -> Result<Self, String> {
        if source.trim().is_empty() {
            return Err(format!("Invalid {kind}: The expression can not be empty;"));
        }
        let mut parser = Parser {
            source,
            kind,
            tokens: Vec::new(),
            next: 0,
            placeholders,
        };
        match tokens(source) {
            Ok(tokens) => parser.tokens = tokens,
            Err(bad) => {
                parser.next = bad.len() - 1;
                parser.tokens = bad;
                return Err(parser.syntax());
            }
        }
        Ok(parser)
    }

    /// `Invalid …: Syntax error; token: "x", near: "…"` for the next token.
    pub(crate) fn syntax(&self) -> String {
        let token = self.tokens[self.next.min(self.tokens.len() - 1)];
        let from = self
            .next
            .checked_sub(1)
            .map_or(token.at, |p| self.tokens[p].at);
        let to = (token.at + token.text.len()).min(self.source.len());
        let near = self.source.get(from..to.max(from)).unwrap_or(self.source);
        format!(
            "Invalid {}: Syntax error; token: \"{}\", near: \"{near}\"",
            self.kind, token.text
        )
    }

    pub(crate) fn invalid(&self, message: impl std::fmt::Display) -> String {
        format!("Invalid {}: {message}", self.kind)
    }

    pub(crate) fn peek(&self) -> Token<'s> {
        self.tokens[self.next]
    }

    pub(crate) fn advance(&mut self) -> Token<'s> {
        let token = self.peek();
        if token.kind != Kind::End {
            self.next += 1;
        }
        token
    }

    /// Whether the next token is `symbol` (or the keyword, in any case), taken if so.
    pub(crate) fn eat(&mut self, symbol: &str) -> bool {
        let token = self.peek();
        let matches = match token.kind {
            Kind::Symbol => token.text == symbol,
            Kind::Word => token.text.eq_ignore_ascii_case(symbol),
            _ => false,
        };
        if matches {
            self.next += 1;
        }
        matches
    }

    pub(crate) fn expect(&mut self, symbol: &str) -> Result<(), String> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Ends the expression: nothing may follow.
    pub(crate) fn end(&self) -> Result<(), String> {
        match self.peek().kind {
            Kind::End => Ok(()),
            _ => Err(self.syntax()),
        }
    }

    /// Whether a function call comes next.
    pub(crate) fn is_call(&self) -> bool {
        self.peek().kind == Kind::Word
            && self
                .tokens
                .get(self.next + 1)
                .is_some_and(|t| t.text == "(")
    }

    /// A document path: `a`, `#n`, `a.b`, `a[0]`.
    pub(crate) fn path(&mut self) -> Result<Path, String> {
        let mut path = vec![self.name()?];
        loop {
            if self.eat(".") {
                path.push(self.name()?);
            } else if self.eat("[") {
                let token = self.advance();
                let index = token
                    .text
                    .parse()
                    .ok()
                    .filter(|_| token.kind == Kind::Digits);
                let Some(index) = index else {
                    self.next -= 1;
                    return Err(self.syntax());
                };
                path.push(Element::Index(index));
                self.expect("]")?;
            } else {
                return Ok(path);
            }
        }
    }

    fn name(&mut self) -> Result<Element, String> {
        let token = self.peek();
        match token.kind {
            Kind::Word if is_reserved(token.text) => Err(self.invalid(format!(
                "Attribute name is a reserved keyword; reserved keyword: {}",
                token.text
            ))),
            Kind::Word => {
                self.next += 1;
                Ok(Element::Name(token.text.into()))
            }
            Kind::Name => {
                let name = self
                    .placeholders
                    .names
                    .get(token.text)
                    .and_then(Value::as_str);
                let Some(name) = name else {
                    return Err(self.invalid(format!(
                        "An expression attribute name used in the document path is not \
                         defined; attribute name: {}",
                        token.text
                    )));
                };
                self.placeholders.used_names.insert(token.text.into());
                self.next += 1;
                Ok(Element::Name(name.into()))
            }
            _ => Err(self.syntax()),
        }
    }

    /// The value a `:v` placeholder stands for.
    pub(crate) fn value(&mut self) -> Result<Value, String> {
        let token = self.peek();
        if token.kind != Kind::Value {
            return Err(self.syntax());
        }
        let Some(value) = self.placeholders.values.get(token.text) else {
            return Err(self.invalid(format!(
                "An expression attribute value used in expression is not defined; attribute \
                 value: {}",
                token.text
            )));
        };
        self.placeholders.used_values.insert(token.text.into());
        self.next += 1;
        Ok(value.clone())
    }

    /// A function's name and its opening parenthesis.
    pub(crate) fn call(&mut self) -> Result<&'s str, String> {
        let name = self.advance().text;
        self.expect("(")?;
        Ok(name)
    }

    pub(crate) fn wrong_operand(&self, function: &str, value: &Value) -> String {
        self.invalid(format!(
            "Incorrect operand type for operator or function; operator or function: {function}, \
             operand type: {}",
            parts(value).0
        ))
    }

    /// The index of the next token.
    pub(crate) fn position(&self) -> usize {
        self.next
    }

    /// Whether the parentheses that opened at token `open` and just closed hold nothing but
    /// another pair: `((a = :v))`.
    pub(crate) fn redundant_parentheses(&self, open: usize) -> bool {
        let inner = &self.tokens[open + 1..self.next - 1];
        let mut depth = 0usize;
        for (i, token) in inner.iter().enumerate() {
            match token.text {
                "(" => depth += 1,
                ")" if depth == 1 => return i == inner.len() - 1,
                ")" => depth = depth.saturating_sub(1),
                _ if depth == 0 => return false,
                _ => {}
            }
        }
        false
    }

    /// A projection: paths separated by commas.
    pub(crate) fn projection(&mut self) -> Result<Vec<Path>, String> {
        let mut paths = vec![self.path()?];
        while self.eat(",") {
            paths.push(self.path()?);
        }
        Ok(paths)
    }
}

#[cfg(test)]
#[path = "expression_tests.rs"]
mod tests;
