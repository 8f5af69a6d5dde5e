//! What a mapping says of configuration items: the class of a CI it creates (fixed, or from a
//! column) and relations between CIs read from columns.

use serde::Deserialize;

use super::{FileField, FileFieldSpec, Source, Value};
use crate::domain::cmdb::Relation;

/// `[[relations]]`: `from` (default: the row's CI) `relation` `to`, each CI named by a column.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileRelation {
    pub from: Option<FileField>,
    pub relation: String,
    pub to: FileField,
    /// The class of `to` when the desk has no CI of that name (default: `ci_class`).
    pub class: Option<FileField>,
}

/// One relation each row may add: `from relation to`.
#[derive(Debug, Clone)]
pub struct RelationMap {
    pub relation: Relation,
    /// `None`: the row's CI (the mapping's `cis`).
    pub from: Option<Value>,
    pub to: Value,
    pub class: Option<Value>,
}

pub(super) fn fixed(class: &str) -> FileFieldSpec {
    FileFieldSpec {
        column: None,
        columns: None,
        template: None,
        value: Some(class.to_string()),
        values: None,
        default: None,
    }
}

/// Every class a class value can give is one the CMDB knows.
pub(super) fn check_classes(v: &Value) -> Result<(), String> {
    let fixed = match &v.source {
        Source::Fixed(f) => Some(f),
        _ => None,
    };
    for class in v.values.iter().flat_map(|t| t.values()).chain(&v.default).chain(fixed) {
        crate::domain::cmdb::check_class(class).map_err(|m| format!("{}: {m}", v.name))?;
    }
    Ok(())
}
