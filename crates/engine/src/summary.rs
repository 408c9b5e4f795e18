//! Per-function summaries: what the second pass keeps of a function once its syntax tree is gone,
//! and all the linking step needs.

use crate::catalog::HandleKind;
use crate::index::{FnKey, Provider};
use crate::rules::Rule;

/// Where a value a function returns may have come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginKind {
    /// A catalog acquisition in this function (`pool.begin()`).
    Acquire(HandleKind),
    /// The result of calling these functions of the project; a handle if one of them lets one escape.
    Call(Vec<FnKey>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin<S> {
    pub kind: OriginKind,
    pub span: S,
}

/// A returned expression and the origins (indices into [`FnSummary::origins`]) it may carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnFlow<S> {
    pub span: S,
    pub origins: Vec<usize>,
}

/// One function, summarized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnSummary<S> {
    pub key: FnKey,
    /// `Type::method` or `name`, as findings show it.
    pub function: String,
    pub name_span: S,
    /// Set when the function hands handles out by design.
    pub provider: Option<Provider>,
    /// The handle kind its declared return type holds, if any.
    pub declared_kind: Option<HandleKind>,
    /// Rules silenced here by `#[scoped_db::allow(..)]`.
    pub allowed: Vec<Rule>,
    pub origins: Vec<Origin<S>>,
    pub returns: Vec<ReturnFlow<S>>,
}

impl<S> FnSummary<S> {
    /// The same summary with its spans mapped (compiler spans to line/column locations).
    pub fn map_spans<T>(self, mut f: impl FnMut(S) -> T) -> FnSummary<T> {
        FnSummary {
            key: self.key,
            function: self.function,
            name_span: f(self.name_span),
            provider: self.provider,
            declared_kind: self.declared_kind,
            allowed: self.allowed,
            origins: self
                .origins
                .into_iter()
                .map(|o| Origin {
                    kind: o.kind,
                    span: f(o.span),
                })
                .collect(),
            returns: self
                .returns
                .into_iter()
                .map(|r| ReturnFlow {
                    span: f(r.span),
                    origins: r.origins,
                })
                .collect(),
        }
    }
}
