//! The syntax tree of the Python subset. Offsets are into the block's text.

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExprKind {
    Name(String),
    Int(String),
    Float(String),
    Str {
        value: String,
        prefix: String,
    },
    Bool(bool),
    None,
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        kwargs: Vec<Keyword>,
    },
    Attr {
        value: Box<Expr>,
        attr: String,
        attr_start: usize,
    },
    Subscript {
        value: Box<Expr>,
        index: Box<Expr>,
    },
    Compare {
        left: Box<Expr>,
        op: CompareOp,
        right: Box<Expr>,
    },
    Unary {
        op: &'static str,
        operand: Box<Expr>,
    },
    Binary {
        op: &'static str,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// A construct outside the subset, by name: "a lambda", "a comprehension".
    Unsupported(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Is,
    IsNot,
    In,
    NotIn,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Keyword {
    pub name: String,
    pub start: usize,
    pub end: usize,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Param {
    pub name: String,
    pub start: usize,
    pub end: usize,
    /// `*args`, `**kwargs` or a default value: outside the subset.
    pub unusual: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stmt {
    pub kind: StmtKind,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StmtKind {
    Def {
        decorators: Vec<Expr>,
        name: String,
        name_start: usize,
        name_end: usize,
        params: Vec<Param>,
        body: Vec<Stmt>,
    },
    Return(Option<Expr>),
    Yield(Option<Expr>),
    Assert(Expr),
    Assign {
        target: Expr,
        value: Expr,
    },
    Expr(Expr),
    Pass,
    Import,
    /// A statement outside the subset, by name: "an `if` statement".
    Unsupported(&'static str),
}

impl Expr {
    /// The dotted name of a name or attribute chain: `db_session.add`.
    pub fn dotted(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Name(name) => Some(name.clone()),
            ExprKind::Attr { value, attr, .. } => Some(format!("{}.{attr}", value.dotted()?)),
            _ => None,
        }
    }

    /// Every construct outside the subset inside this expression, in order.
    pub fn unsupported_all(&self) -> Vec<(&'static str, usize, usize)> {
        let mut found = Vec::new();
        self.collect_unsupported(&mut found);
        found
    }

    fn collect_unsupported(&self, found: &mut Vec<(&'static str, usize, usize)>) {
        match &self.kind {
            ExprKind::Unsupported(what) => found.push((what, self.start, self.end)),
            ExprKind::Str { prefix, .. } if prefix.contains('f') => {
                found.push(("an f-string", self.start, self.end))
            }
            ExprKind::Str { prefix, .. } if prefix.contains('b') => {
                found.push(("a bytes literal", self.start, self.end))
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                items.iter().for_each(|e| e.collect_unsupported(found))
            }
            ExprKind::Dict(items) => items.iter().for_each(|(k, v)| {
                k.collect_unsupported(found);
                v.collect_unsupported(found);
            }),
            ExprKind::Call { func, args, kwargs } => {
                func.collect_unsupported(found);
                args.iter().for_each(|e| e.collect_unsupported(found));
                kwargs
                    .iter()
                    .for_each(|k| k.value.collect_unsupported(found));
            }
            ExprKind::Attr { value, .. } => value.collect_unsupported(found),
            ExprKind::Subscript { value, index } => {
                value.collect_unsupported(found);
                index.collect_unsupported(found);
            }
            ExprKind::Compare { left, right, .. } | ExprKind::Binary { left, right, .. } => {
                left.collect_unsupported(found);
                right.collect_unsupported(found);
            }
            ExprKind::Unary { operand, .. } => operand.collect_unsupported(found),
            _ => {}
        }
    }
}
