//! Tokens → statements of the Python subset, recovering after errors.

use super::ast::{CompareOp, Expr, ExprKind, Keyword, Param, Stmt, StmtKind};
use super::lexer::{Tok, Token};
use crate::limits::MAX_DEPTH;

/// A syntax error: where and what.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SyntaxError {
    pub start: usize,
    pub end: usize,
    pub message: String,
    /// The code nests deeper than [`MAX_DEPTH`]: not a syntax error as
    /// such, reported as too complex.
    pub too_deep: bool,
}

impl SyntaxError {
    fn at(token: &Token, message: impl Into<String>) -> Self {
        Self {
            start: token.start,
            end: token.end.max(token.start + 1),
            message: message.into(),
            too_deep: false,
        }
    }
}

type Result<T> = std::result::Result<T, SyntaxError>;

/// Parses a module: its statements, and the syntax errors skipped over.
pub(crate) fn parse_module(tokens: Vec<Token>) -> (Vec<Stmt>, Vec<SyntaxError>) {
    let mut parser = Parser {
        tokens,
        pos: 0,
        errors: Vec::new(),
        depth: 0,
    };
    let mut statements = Vec::new();
    while !parser.at(&Tok::Eof) {
        if parser.eat(&Tok::Newline) || parser.eat(&Tok::Dedent) {
            continue;
        }
        if parser.at(&Tok::Indent) {
            let token = parser.token().clone();
            parser.errors.push(SyntaxError {
                end: token.end + 1,
                ..SyntaxError::at(&token, "unexpected indentation")
            });
            parser.skip_block();
            continue;
        }
        if let Some(statement) = parser.statement_or_recover() {
            statements.push(statement);
        }
    }
    (statements, parser.errors)
}

struct Parser {
    /// Consumed tokens keep their position; their content is moved out.
    tokens: Vec<Token>,
    pos: usize,
    errors: Vec<SyntaxError>,
    /// How many expressions (or blocks) the current one is nested in.
    depth: usize,
}

/// Words that start a statement.
const KEYWORDS: &[&str] = &[
    "def", "async", "class", "if", "elif", "else", "for", "while", "with", "try", "except",
    "finally", "match", "import", "from", "return", "yield", "assert", "pass", "raise", "del",
    "global", "nonlocal", "break", "continue",
];

const EOF: Token = Token {
    tok: Tok::Eof,
    start: 0,
    end: 0,
};

impl Parser {
    fn token(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .unwrap_or(&EOF)
    }

    fn tok(&self) -> &Tok {
        &self.token().tok
    }

    fn peek_tok(&self, ahead: usize) -> &Tok {
        self.tokens
            .get(self.pos + ahead)
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    fn at(&self, tok: &Tok) -> bool {
        self.tok() == tok
    }

    fn at_op(&self, op: &str) -> bool {
        matches!(self.tok(), Tok::Op(o) if *o == op)
    }

    fn at_name(&self, name: &str) -> bool {
        matches!(self.tok(), Tok::Name(n) if n == name)
    }

    /// Consumes the current token and returns it. The final Eof is never
    /// consumed.
    fn bump(&mut self) -> Token {
        let last = self.tokens.len().saturating_sub(1);
        let at_end = self.pos >= last;
        let Some(slot) = self.tokens.get_mut(self.pos) else {
            return EOF;
        };
        let tok = if at_end {
            slot.tok.clone()
        } else {
            std::mem::replace(&mut slot.tok, Tok::Eof)
        };
        let token = Token {
            tok,
            start: slot.start,
            end: slot.end,
        };
        if !at_end {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let matches = self.at(tok);
        if matches {
            self.bump();
        }
        matches
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let matches = self.at_op(op);
        if matches {
            self.bump();
        }
        matches
    }

    fn eat_name(&mut self, name: &str) -> bool {
        let matches = self.at_name(name);
        if matches {
            self.bump();
        }
        matches
    }

    fn previous_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.end)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(SyntaxError::at(self.token(), message))
    }

    /// The error of code nested past [`MAX_DEPTH`], at the current token.
    fn too_deep<T>(&self) -> Result<T> {
        Err(SyntaxError {
            too_deep: true,
            ..SyntaxError::at(self.token(), "this Python code")
        })
    }

    /// Runs `parse` one level deeper; past [`MAX_DEPTH`] it is an error
    /// before anything recurses further.
    fn nested<T>(&mut self, parse: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return self.too_deep();
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    /// One more link of a chain (`a.b`, `x + y`, `f()`) on a tree `links`
    /// deep: chains build their trees in a loop, but every reader of the
    /// tree recurses down them.
    fn chained(&self, links: usize) -> Result<()> {
        if self.depth + links > MAX_DEPTH {
            self.too_deep()
        } else {
            Ok(())
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            self.error(format!("expected `{op}`, found {}", describe(self.tok())))
        }
    }

    fn expect_newline(&mut self) -> Result<()> {
        if self.eat(&Tok::Newline) || self.at(&Tok::Eof) || self.at(&Tok::Dedent) {
            Ok(())
        } else if self.at_op(";") {
            self.error("write one statement per line")
        } else {
            self.error(format!(
                "expected the end of the line, found {}",
                describe(self.tok())
            ))
        }
    }

    fn statement_or_recover(&mut self) -> Option<Stmt> {
        match self.statement() {
            Ok(statement) => Some(statement),
            Err(error) => {
                self.errors.push(error);
                self.skip_line();
                None
            }
        }
    }

    /// Skips to the start of the next logical line, and over the block
    /// that follows it when it opens one.
    fn skip_line(&mut self) {
        while !matches!(self.tok(), Tok::Newline | Tok::Eof) {
            self.bump();
        }
        self.eat(&Tok::Newline);
        if self.at(&Tok::Indent) {
            self.skip_block();
        }
    }

    /// Skips an INDENT … DEDENT block.
    fn skip_block(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok() {
                Tok::Indent => depth += 1,
                Tok::Dedent => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                Tok::Eof => return,
                _ => {}
            }
            self.bump();
        }
    }

    fn statement(&mut self) -> Result<Stmt> {
        let start = self.token().start;
        let unsupported = |what: &'static str| StmtKind::Unsupported(what);
        let keyword = match self.tok() {
            Tok::Name(name) => KEYWORDS.iter().copied().find(|k| k == name),
            _ => None,
        };
        let kind = match (self.tok(), keyword) {
            (Tok::Op("@"), _) => return self.decorated(start),
            (Tok::Name(_), Some(keyword)) => match keyword {
                "def" => return self.def(Vec::new(), start),
                "async" => return Ok(self.compound(start, "an `async` function")),
                "class" => return Ok(self.compound(start, "a class definition")),
                "if" | "elif" | "else" => return Ok(self.compound(start, "an `if` statement")),
                "for" => return Ok(self.compound(start, "a `for` loop")),
                "while" => return Ok(self.compound(start, "a `while` loop")),
                "with" => return Ok(self.compound(start, "a `with` statement")),
                "try" | "except" | "finally" => {
                    return Ok(self.compound(start, "a `try` statement"));
                }
                "match" if !matches!(self.peek_tok(1), Tok::Op(_)) => {
                    return Ok(self.compound(start, "a `match` statement"));
                }
                "import" | "from" => {
                    self.skip_to_newline();
                    StmtKind::Import
                }
                "return" => {
                    self.bump();
                    StmtKind::Return(self.optional_expr()?)
                }
                "yield" => {
                    self.bump();
                    StmtKind::Yield(self.optional_expr()?)
                }
                "assert" => {
                    self.bump();
                    let test = self.expr()?;
                    if self.eat_op(",") {
                        self.expr()?;
                    }
                    StmtKind::Assert(test)
                }
                "pass" => {
                    self.bump();
                    StmtKind::Pass
                }
                "raise" => {
                    self.skip_to_newline();
                    unsupported("a `raise` statement")
                }
                "del" => {
                    self.skip_to_newline();
                    unsupported("a `del` statement")
                }
                "global" | "nonlocal" => {
                    self.skip_to_newline();
                    unsupported("a `global` statement")
                }
                "break" | "continue" => {
                    self.skip_to_newline();
                    unsupported("a loop statement")
                }
                _ => self.expression_statement()?,
            },
            _ => self.expression_statement()?,
        };
        let end = self.previous_end();
        self.expect_newline()?;
        Ok(Stmt { kind, start, end })
    }

    fn expression_statement(&mut self) -> Result<StmtKind> {
        let expr = self.expr()?;
        if self.at_op(",") {
            return self.error("tuple unpacking is not supported: assign one name at a time");
        }
        if self.eat_op("=") {
            let value = self.expr()?;
            if self.at_op("=") {
                return self
                    .error("chained assignment is not supported: assign one name at a time");
            }
            return Ok(StmtKind::Assign {
                target: expr,
                value,
            });
        }
        if matches!(self.tok(), Tok::Op(op) if op.ends_with('=') && !matches!(*op, "==" | "!=" | "<=" | ">="))
        {
            self.skip_to_newline();
            return Ok(StmtKind::Unsupported("an augmented assignment"));
        }
        if self.at_op(":") {
            self.skip_to_newline();
            return Ok(StmtKind::Unsupported("an annotated assignment"));
        }
        Ok(StmtKind::Expr(expr))
    }

    fn skip_to_newline(&mut self) {
        while !matches!(self.tok(), Tok::Newline | Tok::Eof) {
            self.bump();
        }
    }

    /// A compound statement outside the subset: skipped with its block.
    fn compound(&mut self, start: usize, what: &'static str) -> Stmt {
        self.skip_to_newline();
        let end = self.previous_end();
        self.eat(&Tok::Newline);
        if self.at(&Tok::Indent) {
            self.skip_block();
        }
        Stmt {
            kind: StmtKind::Unsupported(what),
            start,
            end,
        }
    }

    fn optional_expr(&mut self) -> Result<Option<Expr>> {
        if matches!(self.tok(), Tok::Newline | Tok::Eof | Tok::Dedent) {
            Ok(None)
        } else {
            Ok(Some(self.expr()?))
        }
    }

    fn decorated(&mut self, start: usize) -> Result<Stmt> {
        let mut decorators = Vec::new();
        while self.eat_op("@") {
            decorators.push(self.expr()?);
            self.expect_newline()?;
        }
        if self.at_name("def") {
            self.def(decorators, start)
        } else if self.at_name("class") {
            Ok(self.compound(start, "a class definition"))
        } else {
            self.error(format!(
                "expected `def` after a decorator, found {}",
                describe(self.tok())
            ))
        }
    }

    fn def(&mut self, decorators: Vec<Expr>, start: usize) -> Result<Stmt> {
        self.bump();
        let name_token = self.bump();
        let Tok::Name(name) = name_token.tok else {
            return Err(SyntaxError::at(
                &name_token,
                "expected a function name after `def`",
            ));
        };
        self.expect_op("(")?;
        let mut params = Vec::new();
        while !self.at_op(")") {
            let star = self.eat_op("*") || self.eat_op("**");
            let token = self.bump();
            let Tok::Name(param) = token.tok else {
                return Err(SyntaxError::at(&token, "expected a parameter name"));
            };
            let mut unusual = star;
            if self.eat_op(":") {
                self.expr()?;
            }
            if self.eat_op("=") {
                self.expr()?;
                unusual = true;
            }
            params.push(Param {
                name: param,
                start: token.start,
                end: token.end,
                unusual,
            });
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")?;
        if self.eat_op("->") {
            self.expr()?;
        }
        self.expect_op(":")?;
        let body = self.suite()?;
        let end = body
            .last()
            .map_or_else(|| self.previous_end(), |last| last.end);
        Ok(Stmt {
            kind: StmtKind::Def {
                decorators,
                name,
                name_start: name_token.start,
                name_end: name_token.end,
                params,
                body,
            },
            start,
            end,
        })
    }

    fn suite(&mut self) -> Result<Vec<Stmt>> {
        self.nested(Self::suite_inner)
    }

    fn suite_inner(&mut self) -> Result<Vec<Stmt>> {
        if !self.eat(&Tok::Newline) {
            return Ok(vec![self.statement()?]);
        }
        if !self.eat(&Tok::Indent) {
            return self.error("expected an indented block");
        }
        let mut body = Vec::new();
        while !self.eat(&Tok::Dedent) && !self.at(&Tok::Eof) {
            if self.eat(&Tok::Newline) {
                continue;
            }
            if let Some(statement) = self.statement_or_recover() {
                body.push(statement);
            }
        }
        Ok(body)
    }

    fn expr(&mut self) -> Result<Expr> {
        self.nested(Self::expr_inner)
    }

    fn expr_inner(&mut self) -> Result<Expr> {
        let start = self.token().start;
        if self.eat_name("lambda") {
            self.skip_expression();
            return Ok(self.unsupported(start, "a lambda"));
        }
        if self.at_name("yield") || self.at_name("await") {
            self.skip_expression();
            return Ok(self.unsupported(start, "a `yield` or `await` expression"));
        }
        let expr = self.or_test()?;
        if self.at_name("if") {
            self.skip_expression();
            return Ok(self.unsupported(start, "a conditional expression"));
        }
        Ok(expr)
    }

    /// Skips the rest of an expression: to a closing bracket, comma or line end
    /// at this nesting level.
    fn skip_expression(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok() {
                Tok::Op("(" | "[" | "{") => depth += 1,
                Tok::Op(")" | "]" | "}") if depth == 0 => return,
                Tok::Op(")" | "]" | "}") => depth -= 1,
                Tok::Op(",") if depth == 0 => return,
                Tok::Newline | Tok::Eof => return,
                _ => {}
            }
            self.bump();
        }
    }

    fn unsupported(&self, start: usize, what: &'static str) -> Expr {
        Expr {
            kind: ExprKind::Unsupported(what),
            start,
            end: self.previous_end(),
        }
    }

    fn binary(&self, op: &'static str, left: Expr, right: Expr) -> Expr {
        Expr {
            start: left.start,
            end: right.end,
            kind: ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
        }
    }

    fn or_test(&mut self) -> Result<Expr> {
        let mut left = self.and_test()?;
        let mut links = 0;
        while self.at_name("or") {
            links += 1;
            self.chained(links)?;
            self.bump();
            let right = self.and_test()?;
            left = self.binary("or", left, right);
        }
        Ok(left)
    }

    fn and_test(&mut self) -> Result<Expr> {
        let mut left = self.not_test()?;
        let mut links = 0;
        while self.at_name("and") {
            links += 1;
            self.chained(links)?;
            self.bump();
            let right = self.not_test()?;
            left = self.binary("and", left, right);
        }
        Ok(left)
    }

    fn not_test(&mut self) -> Result<Expr> {
        let start = self.token().start;
        if self.eat_name("not") {
            let operand = self.nested(Self::not_test)?;
            return Ok(Expr {
                start,
                end: operand.end,
                kind: ExprKind::Unary {
                    op: "not",
                    operand: Box::new(operand),
                },
            });
        }
        self.comparison()
    }

    fn compare_op(&mut self) -> Option<CompareOp> {
        let op = match self.tok() {
            Tok::Op("==") => CompareOp::Eq,
            Tok::Op("!=") => CompareOp::Ne,
            Tok::Op("<") => CompareOp::Lt,
            Tok::Op("<=") => CompareOp::Le,
            Tok::Op(">") => CompareOp::Gt,
            Tok::Op(">=") => CompareOp::Ge,
            Tok::Name(n) if n == "in" => CompareOp::In,
            Tok::Name(n) if n == "is" => {
                self.bump();
                return Some(if self.eat_name("not") {
                    CompareOp::IsNot
                } else {
                    CompareOp::Is
                });
            }
            Tok::Name(n) if n == "not" && matches!(self.peek_tok(1), Tok::Name(m) if m == "in") => {
                self.bump();
                CompareOp::NotIn
            }
            _ => return None,
        };
        self.bump();
        Some(op)
    }

    fn comparison(&mut self) -> Result<Expr> {
        let left = self.arith()?;
        let Some(op) = self.compare_op() else {
            return Ok(left);
        };
        let right = self.arith()?;
        if self.compare_op().is_some() {
            self.arith()?;
            return Ok(self.unsupported(left.start, "a chained comparison"));
        }
        Ok(Expr {
            start: left.start,
            end: right.end,
            kind: ExprKind::Compare {
                left: Box::new(left),
                op,
                right: Box::new(right),
            },
        })
    }

    fn arith(&mut self) -> Result<Expr> {
        let mut left = self.unary()?;
        let mut links = 0;
        while let Tok::Op(
            op @ ("+" | "-" | "*" | "/" | "//" | "%" | "**" | "@" | "|" | "&" | "^" | "<<" | ">>"),
        ) = *self.tok()
        {
            links += 1;
            self.chained(links)?;
            self.bump();
            let right = self.unary()?;
            left = self.binary(op, left, right);
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr> {
        let start = self.token().start;
        if let Tok::Op(op @ ("-" | "+" | "~")) = *self.tok() {
            self.bump();
            let operand = self.nested(Self::unary)?;
            return Ok(Expr {
                start,
                end: operand.end,
                kind: ExprKind::Unary {
                    op,
                    operand: Box::new(operand),
                },
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr> {
        let mut expr = self.atom()?;
        let mut links = 0;
        loop {
            if matches!(self.tok(), Tok::Op("(" | "[" | ".")) {
                links += 1;
                self.chained(links)?;
            }
            if self.eat_op("(") {
                let (args, kwargs) = self.arguments()?;
                expr = Expr {
                    start: expr.start,
                    end: self.previous_end(),
                    kind: ExprKind::Call {
                        func: Box::new(expr),
                        args,
                        kwargs,
                    },
                };
            } else if self.eat_op("[") {
                let index = if self.at_op(":") {
                    self.skip_expression();
                    self.unsupported(self.token().start, "a slice")
                } else {
                    let index = self.expr()?;
                    if self.at_op(":") || self.at_op(",") {
                        self.skip_expression();
                        self.unsupported(index.start, "a slice")
                    } else {
                        index
                    }
                };
                self.expect_op("]")?;
                expr = Expr {
                    start: expr.start,
                    end: self.previous_end(),
                    kind: ExprKind::Subscript {
                        value: Box::new(expr),
                        index: Box::new(index),
                    },
                };
            } else if self.eat_op(".") {
                let token = self.bump();
                let Tok::Name(attr) = token.tok else {
                    return Err(SyntaxError::at(&token, "expected a name after `.`"));
                };
                expr = Expr {
                    start: expr.start,
                    end: token.end,
                    kind: ExprKind::Attr {
                        value: Box::new(expr),
                        attr,
                        attr_start: token.start,
                    },
                };
            } else {
                return Ok(expr);
            }
        }
    }

    fn arguments(&mut self) -> Result<(Vec<Expr>, Vec<Keyword>)> {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        while !self.at_op(")") {
            let start = self.token().start;
            if self.eat_op("*") || self.eat_op("**") {
                self.expr()?;
                args.push(self.unsupported(start, "argument unpacking (`*args`, `**kwargs`)"));
            } else if matches!((self.tok(), self.peek_tok(1)), (Tok::Name(_), Tok::Op("="))) {
                let token = self.bump();
                self.bump();
                let Tok::Name(name) = token.tok else {
                    return self.error("expected a keyword argument");
                };
                let value = self.expr()?;
                kwargs.push(Keyword {
                    name,
                    start: token.start,
                    end: token.end,
                    value,
                });
            } else {
                let arg = self.expr()?;
                if self.at_name("for") {
                    self.skip_expression();
                    args.push(self.unsupported(start, "a generator expression"));
                } else {
                    args.push(arg);
                }
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")?;
        Ok((args, kwargs))
    }

    fn atom(&mut self) -> Result<Expr> {
        let (start, end) = (self.token().start, self.token().end);
        let simple = |kind| Ok(Expr { kind, start, end });
        match self.tok() {
            Tok::Name(_) | Tok::Int(_) | Tok::Float(_) => match self.bump().tok {
                Tok::Name(name) => match name.as_str() {
                    "True" => simple(ExprKind::Bool(true)),
                    "False" => simple(ExprKind::Bool(false)),
                    "None" => simple(ExprKind::None),
                    _ => simple(ExprKind::Name(name)),
                },
                Tok::Int(text) => simple(ExprKind::Int(text)),
                Tok::Float(text) => simple(ExprKind::Float(text)),
                _ => simple(ExprKind::None),
            },
            Tok::Str { .. } => {
                let mut value = String::new();
                let mut prefixes = String::new();
                let mut end = start;
                while matches!(self.tok(), Tok::Str { .. }) {
                    let token = self.bump();
                    end = token.end;
                    if let Tok::Str {
                        value: piece,
                        prefix,
                    } = token.tok
                    {
                        value.push_str(&piece);
                        prefixes.push_str(&prefix);
                    }
                }
                Ok(Expr {
                    kind: ExprKind::Str {
                        value,
                        prefix: prefixes,
                    },
                    start,
                    end,
                })
            }
            Tok::Op("(") => {
                self.bump();
                let (items, trailing_comma) = self.items(")")?;
                if let Some(comprehension) = items
                    .iter()
                    .find(|e| matches!(e.kind, ExprKind::Unsupported("a comprehension")))
                {
                    return Ok(comprehension.clone());
                }
                let end = self.previous_end();
                if items.len() == 1 && !trailing_comma {
                    let mut inner = items.into_iter().next().unwrap_or(Expr {
                        kind: ExprKind::None,
                        start,
                        end,
                    });
                    inner.start = start;
                    inner.end = end;
                    return Ok(inner);
                }
                Ok(Expr {
                    kind: ExprKind::Tuple(items),
                    start,
                    end,
                })
            }
            Tok::Op("[") => {
                self.bump();
                let (items, _) = self.items("]")?;
                let end = self.previous_end();
                if items
                    .iter()
                    .any(|e| matches!(e.kind, ExprKind::Unsupported("a comprehension")))
                {
                    return Ok(Expr {
                        kind: ExprKind::Unsupported("a comprehension"),
                        start,
                        end,
                    });
                }
                Ok(Expr {
                    kind: ExprKind::List(items),
                    start,
                    end,
                })
            }
            Tok::Op("{") => {
                self.bump();
                self.dict_or_set(start)
            }
            Tok::Op("...") => {
                self.bump();
                Ok(self.unsupported(start, "an ellipsis"))
            }
            other => self.error(format!("expected a value, found {}", describe(other))),
        }
    }

    /// Comma-separated expressions up to `close`; a `for` makes the whole
    /// thing a comprehension.
    fn items(&mut self, close: &str) -> Result<(Vec<Expr>, bool)> {
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !self.at_op(close) {
            let item = self.expr()?;
            if self.at_name("for") {
                let start = item.start;
                self.skip_expression();
                items.push(self.unsupported(start, "a comprehension"));
                break;
            }
            items.push(item);
            trailing_comma = self.eat_op(",");
            if !trailing_comma {
                break;
            }
        }
        self.expect_op(close)?;
        Ok((items, trailing_comma))
    }

    fn dict_or_set(&mut self, start: usize) -> Result<Expr> {
        let mut entries = Vec::new();
        let mut set = Vec::new();
        while !self.at_op("}") {
            if self.eat_op("**") {
                self.expr()?;
                self.skip_expression();
                set.push(self.unsupported(start, "dict unpacking (`**`)"));
            } else {
                let key = self.expr()?;
                if self.eat_op(":") {
                    let value = self.expr()?;
                    entries.push((key, value));
                } else {
                    set.push(key);
                }
            }
            if self.at_name("for") {
                self.skip_expression();
                self.expect_op("}")?;
                return Ok(self.unsupported(start, "a comprehension"));
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op("}")?;
        let end = self.previous_end();
        if let Some(unsupported) = set
            .iter()
            .find(|e| matches!(e.kind, ExprKind::Unsupported(_)))
        {
            return Ok(unsupported.clone());
        }
        if !set.is_empty() {
            return Ok(Expr {
                kind: ExprKind::Unsupported("a set literal"),
                start,
                end,
            });
        }
        Ok(Expr {
            kind: ExprKind::Dict(entries),
            start,
            end,
        })
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Name(name) => format!("`{name}`"),
        Tok::Int(text) | Tok::Float(text) => format!("`{text}`"),
        Tok::Str { .. } => "a string".to_string(),
        Tok::Op(op) => format!("`{op}`"),
        Tok::Newline => "the end of the line".to_string(),
        Tok::Indent => "an indented line".to_string(),
        Tok::Dedent => "the end of the block".to_string(),
        Tok::Eof => "the end of the block".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn parse(text: &str) -> (Vec<Stmt>, Vec<SyntaxError>) {
        parse_module(tokenize(text).unwrap())
    }

    #[test]
    fn fixture_shape() {
        let (statements, errors) = parse(
            "@pytest.fixture\ndef r():\n    \"\"\"doc\"\"\"\n    return {\"sku\": \"A\", \"n\": -2, \"ok\": True, \"x\": None}\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let StmtKind::Def {
            decorators,
            name,
            body,
            ..
        } = &statements[0].kind
        else {
            panic!()
        };
        assert_eq!(name, "r");
        assert_eq!(decorators[0].dotted().as_deref(), Some("pytest.fixture"));
        assert_eq!(body.len(), 2);
        let StmtKind::Return(Some(Expr {
            kind: ExprKind::Dict(entries),
            ..
        })) = &body[1].kind
        else {
            panic!()
        };
        assert_eq!(entries.len(), 4);
    }

    #[test]
    fn query_chain() {
        let (statements, errors) = parse(
            "result = db_session.query(R).filter_by(\n    sku=expected[\"sku\"]\n).first()\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let StmtKind::Assign { value, .. } = &statements[0].kind else {
            panic!()
        };
        let ExprKind::Call { func, .. } = &value.kind else {
            panic!()
        };
        assert!(matches!(&func.kind, ExprKind::Attr { attr, .. } if attr == "first"));
    }

    #[test]
    fn unsupported_constructs_are_named() {
        let (statements, errors) =
            parse("for x in y:\n    pass\nz = [a for a in b]\nw = lambda: 1\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(statements[0].kind, StmtKind::Unsupported("a `for` loop"));
        let StmtKind::Assign { value, .. } = &statements[1].kind else {
            panic!()
        };
        assert_eq!(value.kind, ExprKind::Unsupported("a comprehension"));
        let StmtKind::Assign { value, .. } = &statements[2].kind else {
            panic!()
        };
        assert_eq!(value.kind, ExprKind::Unsupported("a lambda"));
    }

    #[test]
    fn errors_recover_at_the_next_line() {
        let (statements, errors) = parse("x = (1,\ny = 2\n");
        assert_eq!(errors.len(), 1);
        assert!(statements.is_empty() || statements.len() == 1);
        let (statements, errors) = parse("a = 1 2\nb = 3\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(statements.len(), 1);
    }
}
