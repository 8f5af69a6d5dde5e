//! Rules that lived in each operator's files before the desk kept its own policy (desk
//! schema 12): `[priority]`, `[sla]` calendars and targets, `[ingest]` rules of config.toml,
//! and `lifecycles.toml`. They are read only to make the first policy of a desk that has
//! none yet (so it keeps the behaviour it had), and otherwise named in a warning: they are
//! no longer what any desk goes by.

use std::path::Path;

/// The rules found in an operator's files, to become a policy document if a desk needs one.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyPolicy {
    /// What it was found in, for messages: `config.toml [sla]`, `lifecycles.toml`.
    pub from: Vec<String>,
    config: Option<toml::Table>,
    lifecycles: Option<(String, String)>,
}

/// Notes the rules in config.toml's text (already checked) and lifecycles.toml's (read
/// only if a desk needs them).
pub(super) fn find(config: Option<(&Path, &str)>, lifecycles: Option<(&Path, &str)>) -> Option<LegacyPolicy> {
    let mut doc = toml::Table::new();
    let mut from = Vec::new();
    if let Some((path, source)) = config
        && let Ok(mut table) = toml::from_str::<toml::Table>(source)
    {
        let shown = path.display().to_string();
        if let Some(p) = table.remove("priority") {
            doc.insert("priority".into(), p);
            from.push(format!("{shown} [priority]"));
        }
        if let Some(toml::Value::Table(mut sla)) = table.remove("sla") {
            sla.remove("command");
            sla.remove("timeout");
            if !sla.is_empty() {
                doc.insert("sla".into(), toml::Value::Table(sla));
                from.push(format!("{shown} [sla]"));
            }
        }
        if let Some(toml::Value::Table(mut ingest)) = table.remove("ingest") {
            if let Some(toml::Value::Table(am)) = ingest.get_mut("alertmanager") {
                am.remove("secret");
                if am.is_empty() {
                    ingest.remove("alertmanager");
                }
            }
            if !ingest.is_empty() {
                doc.insert("ingest".into(), toml::Value::Table(ingest));
                from.push(format!("{shown} [ingest]"));
            }
        }
    }
    let lifecycles = lifecycles.map(|(path, source)| (path.display().to_string(), source.to_string()));
    if let Some((shown, _)) = &lifecycles {
        from.push(shown.clone());
    }
    (!from.is_empty()).then_some(LegacyPolicy {
        from,
        config: (!doc.is_empty()).then_some(doc),
        lifecycles,
    })
}

impl LegacyPolicy {
    /// The rules as one policy document: the sections found, and the shipped lifecycles
    /// where there was no lifecycles.toml.
    pub fn document(&self) -> Result<String, super::ConfigError> {
        let mut doc = self.config.clone().unwrap_or_default();
        if let Some((shown, source)) = &self.lifecycles {
            let table: toml::Table = toml::from_str(source).map_err(|e| {
                let (line, message) = crate::tomlfile::describe(source, &e);
                super::ConfigError {
                    file: shown.clone(),
                    line,
                    message,
                }
            })?;
            doc.insert("lifecycles".into(), toml::Value::Table(table));
        }
        let mut document = format!(
            "# The desk's first policy, made from {} when the desk began to keep its own rules.\n\
             # `opsdesk policy show` prints the whole of it; change it with `opsdesk policy apply`.\n\n",
            self.from.join(", ")
        );
        let body = toml::to_string(&doc).map_err(|e| super::ConfigError {
            file: self.from.join(", "),
            line: 0,
            message: format!("cannot be turned into a policy: {e}"),
        })?;
        document.push_str(&body);
        if !doc.contains_key("lifecycles") {
            // The rest is the shipped policy's lifecycles section, as shipped.
            let shipped = crate::domain::Policy::shipped_source();
            if let Some(at) = shipped.find("[lifecycles.") {
                document.push('\n');
                document.push_str(&shipped[at..]);
            }
        }
        Ok(document)
    }
}
