//! Configuration: `scoped-db.toml`, `[tool.scoped-db]` in `pyproject.toml`, or
//! `[package.metadata.scoped-db]` / `[workspace.metadata.scoped-db]` in `Cargo.toml`, searched
//! upward from each checked path (in one directory in that order; a `pyproject.toml` or
//! `Cargo.toml` without the table is passed over, as ruff passes over a `pyproject.toml` without
//! `[tool.ruff]`); a file below that has its own (a project in a monorepo) uses its own, the
//! nearest one, as ruff does; `--config PATH` instead of the search.
//!
//! ```toml
//! include-tests = false
//! extend-exclude = ["generated/**"]   # added to `exclude`, whose default skips vendored trees
//! handles = ["Lease"]                  # the project's own handle types
//! providers = ["Db::connection"]       # functions that hand handles out on purpose
//! fail-on = "warning"                  # or "error"
//!
//! [[pools]]                            # the project's own pools and how they hand out handles
//! type = "Broker"
//! methods = ["checkout"]
//!
//! [rules]
//! SDB002 = "error"                     # by code or name: "error", "warning" or "off"
//! unfinished-transaction = "off"
//! ```
//!
//! A bad file (unknown key, wrong type, bad glob, unknown rule) is an error that points into the
//! file, never a silent default.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};
use scoped_db_engine::{CrateNames, Options, Rule, Severity};
use serde::Deserialize;
use toml::Spanned;

/// What a configuration file says, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    include_tests: Option<bool>,
    exclude: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    extend_exclude: Vec<Spanned<String>>,
    #[serde(default)]
    handles: Vec<String>,
    #[serde(default)]
    providers: Vec<String>,
    #[serde(default)]
    pools: Vec<RawPool>,
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPool {
    #[serde(rename = "type")]
    ty: String,
    methods: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CargoManifest {
    package: Option<CargoSection>,
    workspace: Option<CargoSection>,
}

#[derive(Debug, Deserialize)]
struct CargoSection {
    metadata: Option<CargoMetadata>,
}

#[derive(Debug, Deserialize)]
struct CargoMetadata {
    #[serde(rename = "scoped-db")]
    scoped_db: Option<RawConfig>,
}

#[derive(Debug, Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTools>,
}

#[derive(Debug, Deserialize)]
struct PyprojectTools {
    #[serde(rename = "scoped-db")]
    scoped_db: Option<RawConfig>,
}

/// The settings a run uses for the files under one root.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file they came from, if any.
    pub source: Option<PathBuf>,
    /// Paths in `exclude` are relative to this directory.
    pub base: PathBuf,
    pub include_tests: bool,
    pub exclude: GlobSet,
    pub handles: Vec<String>,
    pub providers: Vec<String>,
    pub pools: Vec<(String, Vec<String>)>,
    /// Severity by rule; `None` turns a rule off.
    pub severities: HashMap<Rule, Option<Severity>>,
    pub fail_on: Severity,
}

impl Settings {
    fn defaults(base: PathBuf) -> Settings {
        Settings {
            source: None,
            base,
            include_tests: false,
            exclude: globs(DEFAULT_EXCLUDE.iter().copied()),
            handles: Vec::new(),
            providers: Vec::new(),
            pools: Vec::new(),
            severities: scoped_db_engine::rules::RULES
                .iter()
                .map(|r| (r.rule, Some(r.default_severity)))
                .collect(),
            fail_on: Severity::Warning,
        }
    }

    /// The severity a rule reports at, or `None` when it is off.
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        self.severities.get(&rule).copied().flatten()
    }

    /// The engine's options for a file under these settings: the one path from configuration to
    /// engine, for `check` and the server alike. `include_tests` is the command line's flag
    /// (or-ed with the file's setting); `crates` what the file's manifest names.
    pub fn options(&self, include_tests: bool, crates: Arc<CrateNames>) -> Options {
        Options {
            include_tests: include_tests || self.include_tests,
            handles: self.handles.clone(),
            providers: self.providers.clone(),
            pools: self.pools.clone(),
            crates,
        }
    }

    /// Whether a file or directory is excluded: it, or a directory it is in, matches a pattern
    /// (`vendor` excludes `vendor/x/y.rs`).
    pub fn excludes(&self, path: &Path) -> bool {
        path.ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .any(|p| self.excludes_itself(p))
    }

    /// Whether the path itself matches a pattern: relative to the configuration's directory, as
    /// given, or by its name alone (`target` excludes every directory named `target`).
    pub fn excludes_itself(&self, path: &Path) -> bool {
        let relative = path.strip_prefix(&self.base).unwrap_or(path);
        let relative = relative.strip_prefix(".").unwrap_or(relative);
        (!relative.as_os_str().is_empty() && self.exclude.is_match(relative))
            || self.exclude.is_match(path)
            || path
                .file_name()
                .is_some_and(|name| self.exclude.is_match(name))
    }
}

/// What `exclude` is unless a configuration sets it: installed or generated code, never the
/// project's own. `extend-exclude` and `--exclude` add to it.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    "target",
    "__pycache__",
    "node_modules",
    "site-packages",
    "venv",
    ".venv",
];

/// Patterns known to be valid, as one set.
fn globs<'a>(patterns: impl IntoIterator<Item = &'a str>) -> GlobSet {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(glob) = Glob::new(p) {
            set.add(glob);
        }
    }
    set.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Globs from the command line (`--exclude`), or the first that is not one.
pub fn command_line_globs(patterns: &[String]) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        set.add(
            Glob::new(p).map_err(|e| format!("invalid glob `{p}` in --exclude: {}", e.kind()))?,
        );
    }
    set.build().map_err(|e| e.to_string())
}

/// A configuration file that could not be used.
#[derive(Debug)]
pub struct ConfigError {
    pub message: String,
    pub src: Option<NamedSource<String>>,
    pub span: Option<SourceSpan>,
    pub label: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Diagnostic for ConfigError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("scoped-db(config)"))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(Some(self.label.clone()), span),
        )))
    }
}

/// The settings when no configuration applies (or the one that does cannot be read).
pub fn defaults(base: PathBuf) -> Settings {
    Settings::defaults(base)
}

/// Finds and reads the settings for files under `root`.
pub fn for_root(root: &Path, explicit: Option<&Path>) -> Result<Settings, Box<ConfigError>> {
    if let Some(path) = explicit {
        return read(path);
    }
    let start = if root.is_dir() {
        root.to_path_buf()
    } else {
        root.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let start = if start.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        start
    };
    let absolute = start.canonicalize().unwrap_or(start.clone());
    for dir in absolute.ancestors() {
        if let Some(file) = file_in(dir) {
            return read(&file);
        }
    }
    Ok(Settings::defaults(start))
}

/// The configuration file in `dir` itself, if it has one: `scoped-db.toml`, else a
/// `pyproject.toml` with a `[tool.scoped-db]` table, else a `Cargo.toml` with `scoped-db`
/// metadata.
pub fn file_in(dir: &Path) -> Option<PathBuf> {
    let own = dir.join("scoped-db.toml");
    if own.is_file() {
        return Some(own);
    }
    let pyproject = dir.join("pyproject.toml");
    if pyproject.is_file()
        && std::fs::read_to_string(&pyproject).is_ok_and(|text| has_tool_table(&text))
    {
        return Some(pyproject);
    }
    let cargo = dir.join("Cargo.toml");
    (cargo.is_file() && std::fs::read_to_string(&cargo).is_ok_and(|text| mentions_metadata(&text)))
        .then_some(cargo)
}

/// A path as a user would write it: relative to the current directory when it is below it.
fn shown(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative
        .unwrap_or_else(|| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// Whether a `pyproject.toml` has a `[tool.scoped-db]` table. One that is not valid TOML has it
/// when a line opens it (`[tool.scoped-db]`, `[tool.scoped-db.rules]`): reading it then says what
/// is wrong, where a file that is not scoped-db's to read is passed over.
fn has_tool_table(pyproject: &str) -> bool {
    match toml::from_str::<toml::Table>(pyproject) {
        Ok(t) => t
            .get("tool")
            .and_then(|tool| tool.get("scoped-db"))
            .is_some(),
        Err(_) => pyproject.lines().any(|l| {
            let l = l.trim();
            l.starts_with("[tool.scoped-db")
        }),
    }
}

fn mentions_metadata(cargo_toml: &str) -> bool {
    toml::from_str::<toml::Table>(cargo_toml).is_ok_and(|t| {
        ["package", "workspace"].iter().any(|section| {
            t.get(*section)
                .and_then(|s| s.get("metadata"))
                .and_then(|m| m.get("scoped-db"))
                .is_some()
        })
    })
}

/// Reads one configuration file: `scoped-db.toml`, or a `Cargo.toml` with metadata.
pub fn read(path: &Path) -> Result<Settings, Box<ConfigError>> {
    let shown = shown(path);
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(ConfigError {
            message: format!(
                "cannot read configuration {shown}: {}",
                crate::discover::io_message(&e)
            ),
            src: None,
            span: None,
            label: String::new(),
        })
    })?;
    let error = |message: String, span: Option<std::ops::Range<usize>>, label: &str| {
        Box::new(ConfigError {
            message,
            src: Some(NamedSource::new(shown.clone(), text.clone()).with_language("TOML")),
            span: span.map(|r| SourceSpan::from(r.start..r.end)),
            label: label.to_string(),
        })
    };
    let is_cargo = path.file_name().is_some_and(|n| n == "Cargo.toml");
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let raw: RawConfig = if is_pyproject {
        let pyproject: Pyproject = toml::from_str(&text).map_err(|e| {
            error(
                format!(
                    "invalid configuration in {shown} (the `[tool.scoped-db]` table): {}",
                    e.message()
                ),
                e.span(),
                "here",
            )
        })?;
        pyproject.tool.and_then(|t| t.scoped_db).unwrap_or_default()
    } else if is_cargo {
        let manifest: CargoManifest = toml::from_str(&text).map_err(|e| {
            error(
                format!("invalid configuration in {shown}: {}", e.message()),
                e.span(),
                "here",
            )
        })?;
        manifest
            .package
            .and_then(|p| p.metadata)
            .and_then(|m| m.scoped_db)
            .or_else(|| {
                manifest
                    .workspace
                    .and_then(|w| w.metadata)
                    .and_then(|m| m.scoped_db)
            })
            .unwrap_or_default()
    } else {
        toml::from_str(&text).map_err(|e| {
            error(
                format!("invalid configuration in {shown}: {}", e.message()),
                e.span(),
                "here",
            )
        })?
    };

    let base = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    let mut settings = Settings::defaults(base);
    settings.source = Some(path.to_path_buf());
    settings.include_tests = raw.include_tests.unwrap_or(false);
    settings.handles = raw.handles;
    settings.providers = raw.providers;
    settings.pools = raw.pools.into_iter().map(|p| (p.ty, p.methods)).collect();

    let mut globs = GlobSetBuilder::new();
    let defaults: Vec<Spanned<String>>;
    let exclude = match &raw.exclude {
        Some(list) => list,
        None => {
            defaults = DEFAULT_EXCLUDE
                .iter()
                .map(|p| Spanned::new(0..0, p.to_string()))
                .collect();
            &defaults
        }
    };
    for pattern in exclude.iter().chain(&raw.extend_exclude) {
        let glob = Glob::new(pattern.get_ref()).map_err(|e| {
            error(
                format!("invalid glob in {shown}: {}", e.kind()),
                Some(pattern.span()),
                "this pattern",
            )
        })?;
        globs.add(glob);
    }
    settings.exclude = globs.build().map_err(|e| error(e.to_string(), None, ""))?;

    if let Some(fail_on) = &raw.fail_on {
        settings.fail_on = match fail_on.get_ref().as_str() {
            "warning" => Severity::Warning,
            "error" => Severity::Error,
            other => {
                return Err(error(
                    format!(
                        "invalid `fail-on` in {shown}: `{other}`; expected \"warning\" or \"error\""
                    ),
                    Some(fail_on.span()),
                    "expected \"warning\" or \"error\"",
                ));
            }
        };
    }
    for (name, level) in &raw.rules {
        let Some(rule) = Rule::from_name(name.get_ref()) else {
            return Err(error(
                format!("unknown rule `{}` in {shown}", name.get_ref()),
                Some(name.span()),
                "no rule has this code or name",
            ));
        };
        let severity = match level.get_ref().as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "off" => None,
            other => {
                return Err(error(
                    format!("invalid severity `{other}` for {} in {shown}", rule.code()),
                    Some(level.span()),
                    "expected \"error\", \"warning\" or \"off\"",
                ));
            }
        };
        settings.severities.insert(rule, severity);
    }
    Ok(settings)
}
