//! `scoped-db rules` and `scoped-db explain`: the registry and the docs next to each rule's code.

use std::io::{self, Write};
use std::process::ExitCode;

use scoped_db_engine::rules::{RULES, Rule};

/// Prints the rule table.
pub fn list() -> ExitCode {
    let mut out = String::from("code    name                    default  reports\n");
    for info in RULES {
        out.push_str(&format!(
            "{:<7} {:<23} {:<8} {}\n",
            info.code,
            info.name,
            info.default_severity.as_str(),
            info.summary
        ));
    }
    write_out(&out)
}

/// Prints one rule's docs.
pub fn explain(name: &str) -> ExitCode {
    let Some(rule) = Rule::from_name(name) else {
        let known: Vec<String> = RULES
            .iter()
            .map(|r| format!("{} ({})", r.code, r.name))
            .collect();
        let _ = writeln!(
            io::stderr(),
            "scoped-db: unknown rule `{name}`; known rules: {}",
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    let info = rule.info();
    write_out(&format!(
        "# {} {}\n\nDefault severity: {}.\n\n{}",
        info.code,
        info.name,
        info.default_severity.as_str(),
        info.docs
    ))
}

fn write_out(text: &str) -> ExitCode {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}
