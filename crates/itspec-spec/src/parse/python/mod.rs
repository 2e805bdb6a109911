//! The Python subset of the template (FORMAT §5.1, §6, §7).
//!
//! The template writes fixtures, mocks and checks as pytest code. itspec
//! does not run Python: it reads exactly the shapes the template uses —
//! literals, `Entity(kw=...)`, the pytest fixture shapes, `mocker.patch(...)`
//! and the `db_session.query(...)` checks — and turns them into the same
//! model the native forms produce. Anything else is a diagnostic naming the
//! construct and showing the native form to use instead.

mod ast;
mod lexer;
mod parser;
mod shapes;

pub(crate) use shapes::{Section, read_block};
