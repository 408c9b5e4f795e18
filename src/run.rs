//! `scoped-db check`: read the files, run the engine's passes in parallel, render, pick the exit
//! status.

use std::io::{self, Write};
use std::panic;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use rayon::prelude::*;
use std::collections::HashMap;

use scoped_db_engine::suppress::{self, Suppression};
use scoped_db_engine::{self as engine, Options, Rule, Severity};

use crate::args::{CheckArgs, Color, FailOn, Format};
use crate::config::{self, Settings};
use crate::discover::{Walk, discover, io_message};
use crate::emit::{self, Emitter, visible};
use crate::report::{FileError, Outcome, Skipped, SourceFile};
use crate::settle::{Settled, settle};
use crate::{baseline, output};

/// Which rules the command line keeps.
struct Selection {
    select: Vec<Rule>,
    ignore: Vec<Rule>,
}

impl Selection {
    fn parse(args: &CheckArgs) -> Result<Selection, String> {
        let rules = |names: &[String]| -> Result<Vec<Rule>, String> {
            names
                .iter()
                .map(|n| {
                    Rule::from_name(n.trim())
                        .ok_or_else(|| format!("unknown rule `{n}` (see `scoped-db rules`)"))
                })
                .collect()
        };
        Ok(Selection {
            select: rules(&args.select)?,
            ignore: rules(&args.ignore)?,
        })
    }

    fn keeps(&self, rule: Rule) -> bool {
        (self.select.is_empty() || self.select.contains(&rule)) && !self.ignore.contains(&rule)
    }
}

pub fn check(args: &CheckArgs) -> ExitCode {
    let selection = match Selection::parse(args) {
        Ok(s) => s,
        Err(message) => {
            let _ = writeln!(io::stderr(), "scoped-db: {message}");
            return ExitCode::from(2);
        }
    };
    let exclude = match config::command_line_globs(&args.exclude) {
        Ok(set) => set,
        Err(message) => {
            let _ = writeln!(io::stderr(), "scoped-db: {message}");
            return ExitCode::from(2);
        }
    };
    let stdin = match read_stdin(args) {
        Ok(stdin) => stdin,
        Err(message) => {
            let _ = writeln!(io::stderr(), "scoped-db: {message}");
            return ExitCode::from(2);
        }
    };
    let roots_given: Vec<PathBuf> = match (&stdin, &args.stdin_filename) {
        (Some(_), Some(name)) => vec![name.clone()],
        _ => args.paths.clone(),
    };
    if let Some(dir) = &args.context
        && !dir.is_dir()
    {
        let _ = writeln!(
            io::stderr(),
            "scoped-db: `--context {}` must be a directory (the project the paths belong to)",
            dir.display()
        );
        return ExitCode::from(2);
    }
    let mut roots = Vec::new();
    // The context comes last, so a file both named and under the context counts as named.
    let context = args
        .context
        .as_ref()
        .map(|dir| (context_root(dir, &roots_given), Role::Context));
    for (root, role) in roots_given
        .iter()
        .map(|r| (r.clone(), Role::Checked))
        .chain(context)
    {
        match config::for_root(&root, args.config.as_deref()) {
            Ok(settings) => roots.push(Root {
                path: root,
                settings,
                role,
            }),
            Err(e) => {
                let mut out = String::new();
                let handler = miette::GraphicalReportHandler::new_themed(
                    miette::GraphicalTheme::unicode_nocolor(),
                );
                if handler.render_report(&mut out, e.as_ref()).is_err() {
                    out = e.to_string();
                }
                let _ = writeln!(io::stderr(), "{out}");
                return ExitCode::from(2);
            }
        }
    }
    let mut outcome = analyze(args, &roots, &selection, &exclude, stdin);
    if let Some(path) = &args.baseline {
        match baseline::read(path) {
            Ok(known) => baseline::filter(&mut outcome, &known, path),
            Err(message) => {
                let _ = writeln!(io::stderr(), "scoped-db: {message}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = &args.write_baseline
        && let Err(message) = baseline::write(&outcome, path)
    {
        let _ = writeln!(io::stderr(), "scoped-db: {message}");
        return ExitCode::from(2);
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            use std::io::IsTerminal;
            std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal()
        }
    };
    let emitter: Box<dyn Emitter> = match args.format {
        Format::Human | Format::Short if args.statistics => Box::new(emit::statistics::Statistics),
        Format::Human => Box::new(emit::human::Human { color }),
        Format::Short => Box::new(emit::short::Short),
        Format::Json => Box::new(emit::json::Json {
            statistics: args.statistics,
        }),
        Format::Sarif => Box::new(emit::sarif::Sarif),
        Format::Github => Box::new(emit::github::Github),
        Format::Gitlab => Box::new(emit::gitlab::Gitlab),
    };
    let stderr = io::stderr();
    let result = match &args.output_file {
        Some(path) => {
            let mut report = Vec::new();
            emitter
                .emit(&mut report, &mut stderr.lock(), &outcome)
                .and_then(|()| output::write_atomically(path, &report, &outcome))
        }
        None => emitter.emit(&mut io::stdout().lock(), &mut stderr.lock(), &outcome),
    };
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            let _ = writeln!(io::stderr(), "scoped-db: cannot write output: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &args.write_baseline {
        let _ = writeln!(
            io::stderr(),
            "scoped-db: wrote {} to the baseline {}",
            match outcome.findings.len() {
                1 => "1 finding".to_string(),
                n => format!("{n} findings"),
            },
            path.display()
        );
    }
    let unused = outcome
        .unused_suppressions
        .as_ref()
        .is_some_and(|u| !u.is_empty());
    if !outcome.errors.is_empty() {
        ExitCode::from(2)
    } else if args.exit_zero || args.write_baseline.is_some() {
        ExitCode::SUCCESS
    } else if outcome.fails.contains(&true) || unused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What a root's files are in the run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Checked and reported: the paths given.
    Checked,
    /// Read for what they declare and summarize, never reported (`--context`).
    Context,
}

/// A path given to the run, with the settings found for it.
struct Root {
    path: PathBuf,
    settings: Settings,
    role: Role,
}

/// The context directory written the way the paths given are, since a file's crate and module
/// are read from its path: `--context "$PWD"` with relative paths walks `.` (or the directory
/// below the current one), and a relative context with absolute paths is made absolute.
fn context_root(dir: &Path, given: &[PathBuf]) -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else {
        return dir.to_path_buf();
    };
    if dir.is_absolute() && given.iter().all(|p| p.is_relative()) {
        let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        if let Ok(below) = real(dir).strip_prefix(real(&cwd)) {
            return if below.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                below.to_path_buf()
            };
        }
    } else if dir.is_relative() && !given.is_empty() && given.iter().all(|p| p.is_absolute()) {
        return cwd.join(dir.strip_prefix(".").unwrap_or(dir));
    }
    dir.to_path_buf()
}

/// Standard input, when it is to be checked (`-` with `--stdin-filename`).
fn read_stdin(args: &CheckArgs) -> Result<Option<String>, String> {
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    match (&args.stdin_filename, dash) {
        (None, false) => Ok(None),
        (None, true) => Err(
            "`-` reads standard input and needs `--stdin-filename PATH` (the path gives the \
             language, the configuration and the name in findings)"
                .into(),
        ),
        (Some(_), true) if args.paths.len() == 1 => {
            let mut text = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut text)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(Some(text))
        }
        (Some(_), _) => {
            Err("`--stdin-filename` checks standard input: give `-` as the only path".into())
        }
    }
}

fn analyze(
    args: &CheckArgs,
    roots: &[Root],
    selection: &Selection,
    exclude: &globset::GlobSet,
    stdin: Option<String>,
) -> Outcome {
    let Gathered {
        paths,
        settings,
        settings_of,
        mut errors,
        mut context_errors,
        skipped,
        reported,
    } = gather(args, roots, exclude, stdin.as_deref());

    // Each root's configuration applies to its own files: one project's providers or pools never
    // change what is found in another checked in the same run. Each crate sees the crates it
    // depends on, by the names its manifest gives them.
    let written: Vec<String> = paths.iter().map(|p| display(p)).collect();
    let pairs: Vec<(&Path, &str)> = paths
        .iter()
        .zip(&written)
        .map(|(p, w)| (p.as_path(), w.as_str()))
        .collect();
    let (crate_names, manifest_problems) =
        engine::manifests::crate_names(&pairs, &mut |p| std::fs::read_to_string(p));
    note_manifest_problems(&manifest_problems);
    let parts = parts(&paths, &written, &crate_names, roots);

    let mut options: Vec<Options> = Vec::new();
    let mut options_of: Vec<usize> = Vec::with_capacity(paths.len());
    let mut known: HashMap<(usize, *const engine::CrateNames), usize> = HashMap::new();
    for (i, names) in crate_names.into_iter().enumerate() {
        let settings_index = settings_of[i];
        let at = *known
            .entry((settings_index, Arc::as_ptr(&names)))
            .or_insert_with(|| {
                let settings = &settings[settings_index];
                options.push(settings.options(args.include_tests, names.clone()));
                options.len() - 1
            });
        options_of.push(at);
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(engine::STACK_BYTES)
        .build()
        .expect("the analysis thread pool starts");
    // A panic in one file must not end the run: it becomes an error on that file. The default hook
    // would print a backtrace in the middle of the output.
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));

    let outcome = pool.install(|| {
        let mut files: Vec<SourceFile> = paths
            .iter()
            .map(|p| SourceFile {
                path: display(p),
                text: None,
            })
            .collect();
        let checked = engine::pipeline::check(
            &Files {
                paths: &paths,
                files: &files,
                options: &options,
                options_of: &options_of,
                stdin: stdin.as_deref(),
                reported,
                parts: &parts,
            },
            !args.no_prefilter,
        );
        // Only the checked files are reported; the context's files are dropped from here on.
        files.truncate(reported);
        let mut failed = vec![false; files.len()];
        for (i, failure) in checked.failures {
            if i < reported {
                failed[i] = true;
                errors.push(file_error(i, &files[i].path, failure));
            } else {
                context_errors.push(file_error(i, &display(&paths[i]), failure));
            }
        }
        let files_checked = failed.iter().filter(|failed| !**failed).count();
        let findings: Vec<_> = checked
            .findings
            .into_iter()
            .filter(|(i, _)| *i < reported)
            .collect();

        // The texts shown again: files with findings (for their suppression comments and
        // snippets), files whose parse error has a position, and every checked file when unused
        // suppressions are asked for.
        let mut wanted = vec![false; files.len()];
        for (i, _) in &findings {
            wanted[*i] = true;
        }
        for e in &errors {
            if let Some(i) = e.file {
                wanted[i] = true;
            }
        }
        if args.report_unused_suppressions {
            for (i, failed) in failed.iter().enumerate() {
                wanted[i] |= !failed;
            }
        }
        let texts: Vec<Option<Arc<str>>> = paths[..reported]
            .par_iter()
            .zip(&files)
            .zip(&wanted)
            .map(|((path, f), wanted)| {
                let text = || match &stdin {
                    Some(text) => Some(Arc::from(text.as_str())),
                    None => read(path, &f.path).ok().map(Arc::from),
                };
                wanted.then(text).flatten()
            })
            .collect();
        for (f, text) in files.iter_mut().zip(texts) {
            f.text = text;
        }
        Outcome {
            files,
            findings,
            errors: Vec::new(),
            files_checked,
            unused_suppressions: None,
            fails: Vec::new(),
            skipped: Vec::new(),
        }
    });
    panic::set_hook(previous_hook);
    if !context_errors.is_empty() {
        note_context_errors(&context_errors);
    }

    errors.sort_by(|a, b| a.path.cmp(&b.path));
    let mut outcome = Outcome {
        errors,
        skipped,
        ..outcome
    };
    settle_findings(&mut outcome, args, &settings, &settings_of, selection);
    outcome
}

/// The files of a run, found under its roots, with the settings each is checked with.
struct Gathered {
    paths: Vec<PathBuf>,
    /// The settings of the run: each root's, then those of nearer configurations.
    settings: Vec<Settings>,
    /// By file, its index into `settings`.
    settings_of: Vec<usize>,
    /// What went wrong finding the checked files.
    errors: Vec<FileError>,
    /// What went wrong in the context: it only weakens what the checked files can see.
    context_errors: Vec<FileError>,
    /// Files over the size limit, left out and said so.
    skipped: Vec<Skipped>,
    /// Files `0..reported` are checked and reported; the rest are context.
    reported: usize,
}

/// Finds the files under `roots` (`stdin` stands in for the one checked file when given).
fn gather(
    args: &CheckArgs,
    roots: &[Root],
    exclude: &globset::GlobSet,
    stdin: Option<&str>,
) -> Gathered {
    let mut paths = Vec::new();
    // The settings each file is checked with, by index into `settings`: its root's, or those of
    // the nearest configuration between the file and its root (a monorepo's projects each bring
    // their own).
    let mut settings: Vec<Settings> = Vec::new();
    let mut settings_of = Vec::new();
    let mut roles = Vec::new();
    let mut errors: Vec<FileError> = Vec::new();
    // What went wrong in the context: it only weakens what the checked files can see.
    let mut context_errors = Vec::new();
    let mut nested = Nested::default();
    let mut seen = std::collections::HashSet::new();
    for root in roots {
        settings.push(root.settings.clone());
        let root_index = settings.len() - 1;
        let include_tests = args.include_tests || root.settings.include_tests;
        // The walk asks about each path on its way down, so the directories above one have
        // already passed: the path itself is all there is to match.
        let excluded = |path: &Path| {
            root.settings.excludes_itself(path)
                || exclude.is_match(path.strip_prefix(".").unwrap_or(path))
        };
        let (found, discovery_errors) = if stdin.is_some() && root.role == Role::Checked {
            (vec![root.path.clone()], Vec::new())
        } else {
            discover(
                std::slice::from_ref(&root.path),
                &Walk {
                    include_tests,
                    respect_ignore: !args.no_ignore,
                    follow_links: args.follow_links,
                    excluded: &excluded,
                    force_exclude: args.force_exclude && root.role == Role::Checked,
                },
            )
        };
        let mut root_errors: Vec<FileError> = discovery_errors
            .into_iter()
            .map(|e| FileError {
                path: display(&e.path),
                detail: e.message.clone(),
                message: e.message,
                position: None,
                file: None,
            })
            .collect();
        let named = !root.path.is_dir();
        for path in found {
            let own = if args.config.is_some() || named {
                root_index
            } else {
                nested.settings_for(
                    &root.path,
                    &path,
                    root_index,
                    &mut settings,
                    &mut root_errors,
                )
            };
            // Files named on the command line are always checked; the walk has applied the root's
            // `exclude`, a nearer configuration's is applied here.
            if !named && own != root_index && settings[own].excludes(&path) {
                continue;
            }
            // A file reached from two roots is checked once (one root's walk lists a file once).
            let unique = roots.len() == 1
                || seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone()));
            if unique {
                paths.push(path);
                settings_of.push(own);
                roles.push(root.role);
            }
        }
        match root.role {
            Role::Checked => errors.append(&mut root_errors),
            Role::Context => context_errors.append(&mut root_errors),
        }
    }
    // Files over the size limit are left out and said so; the rest are checked.
    let mut skipped = Vec::new();
    let mut kept = 0;
    for i in 0..paths.len() {
        let size = match &stdin {
            Some(text) if roles[i] == Role::Checked => text.len() as u64,
            _ => std::fs::metadata(&paths[i]).map_or(0, |m| m.len()),
        };
        if size > args.max_file_size {
            if roles[i] == Role::Checked {
                skipped.push(Skipped {
                    path: display(&paths[i]),
                    reason: format!(
                        "{} is over --max-file-size ({})",
                        human_size(size),
                        human_size(args.max_file_size)
                    ),
                });
            }
            continue;
        }
        paths.swap(kept, i);
        settings_of.swap(kept, i);
        roles.swap(kept, i);
        kept += 1;
    }
    paths.truncate(kept);
    settings_of.truncate(kept);
    roles.truncate(kept);
    // The checked files come first (the roots are in that order and the swaps above keep it):
    // sources `0..checked` are reported, the rest are context.
    let reported = roles.iter().take_while(|r| **r == Role::Checked).count();
    debug_assert!(roles[reported..].iter().all(|r| *r == Role::Context));
    Gathered {
        paths,
        settings,
        settings_of,
        errors,
        context_errors,
        skipped,
        reported,
    }
}

// The engine's pipeline reads each file when a step needs it and drops the text (and the
// syntax tree) as soon as that step is done: memory holds declarations and summaries.
struct Files<'a> {
    paths: &'a [PathBuf],
    files: &'a [SourceFile],
    options: &'a [Options],
    options_of: &'a [usize],
    /// Standard input: the text of the one checked source (any others are context).
    stdin: Option<&'a str>,
    reported: usize,
    /// By file, the part of the run it is in ([`parts`]).
    parts: &'a [usize],
}
impl engine::pipeline::SourceSet for Files<'_> {
    fn part(&self, i: usize) -> usize {
        self.parts[i]
    }
    fn batch_done(&self) {
        // mimalloc keeps freed pages for a while; a batch's trees are freed all at once, and the
        // next batch, on new keeper threads, would otherwise add its own to them.
        // SAFETY: `mi_collect` takes no pointers and may be called from any thread at any time.
        unsafe { libmimalloc_sys::mi_collect(true) };
    }
    fn len(&self) -> usize {
        self.paths.len()
    }
    fn path(&self, i: usize) -> &str {
        &self.files[i].path
    }
    fn options(&self, i: usize) -> &Options {
        &self.options[self.options_of[i]]
    }
    fn text(&self, i: usize) -> Result<String, String> {
        match self.stdin {
            Some(text) if i < self.reported => Ok(text.to_string()),
            _ => read(&self.paths[i], &self.files[i].path).map_err(|e| e.message),
        }
    }
}

/// The part of the run each file is in (`SourceSet::part`: parts cannot see each other, so each is
/// checked as if alone). A Rust file's part is its crate's, joined with every crate of the run it
/// depends on or that depends on it (the manifests' path dependencies, which are all a crate can
/// reach of another); a Python file's is its project: the outermost directory, at or below the
/// outermost root it was found under, that holds a `pyproject.toml`, `setup.py`, `setup.cfg` or
/// `.git`, else that root. Two projects checked in one run never resolve an import into each
/// other, as they would not checked one at a time.
fn parts(
    paths: &[PathBuf],
    written: &[String],
    crate_names: &[Arc<engine::CrateNames>],
    roots: &[Root],
) -> Vec<usize> {
    // Crates joined by their dependencies (union-find over crate roots).
    let mut crates: HashMap<String, usize> = HashMap::new();
    let mut parent: Vec<usize> = Vec::new();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut id = |name: &str, parent: &mut Vec<usize>| {
        *crates.entry(name.to_string()).or_insert_with(|| {
            parent.push(parent.len());
            parent.len() - 1
        })
    };
    let mut crate_of: Vec<Option<usize>> = vec![None; paths.len()];
    for (i, w) in written.iter().enumerate() {
        if !w.ends_with(".rs") {
            continue;
        }
        let own = id(&engine::crate_root(w), &mut parent);
        crate_of[i] = Some(own);
        for dep in crate_names[i].values() {
            let dep = id(dep, &mut parent);
            let (a, b) = (find(&mut parent, own), find(&mut parent, dep));
            parent[a] = b;
        }
    }
    // Python projects, by directory.
    let mut marked: HashMap<PathBuf, bool> = HashMap::new();
    let mut has_marker = |dir: &Path| {
        *marked.entry(dir.to_path_buf()).or_insert_with(|| {
            ["pyproject.toml", "setup.py", "setup.cfg", ".git"]
                .iter()
                .any(|m| dir.join(m).exists())
        })
    };
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut key = |k: String| {
        let next = keys.len();
        *keys.entry(k).or_insert(next)
    };
    (0..paths.len())
        .map(|i| {
            if let Some(c) = crate_of[i] {
                return key(format!("rs:{}", find(&mut parent, c)));
            }
            if !written[i].ends_with(".py") {
                return key(String::new());
            }
            // `./app/db.py` is in `.` as `app/db.py` is.
            let normal = |p: &Path| -> PathBuf {
                p.components()
                    .filter(|c| *c != std::path::Component::CurDir)
                    .collect()
            };
            let path = normal(&paths[i]);
            let Some(root) = roots
                .iter()
                .map(|r| normal(&r.path))
                .filter(|r| path.starts_with(r))
                .min_by_key(|r| r.components().count())
            else {
                return key("py:".to_string());
            };
            let mut project = root.clone();
            let mut dir = path.parent();
            while let Some(d) = dir {
                if !d.starts_with(&root) || d.as_os_str().is_empty() {
                    break;
                }
                if has_marker(d) {
                    project = d.to_path_buf();
                }
                dir = d.parent();
            }
            key(format!("py:{}", project.display()))
        })
        .collect()
}

/// Names each manifest that could not be read on standard error, once, with the reason: the run
/// goes on without the crate names it declares, and the exit status does not change.
fn note_manifest_problems(problems: &[engine::manifests::ManifestProblem]) {
    let mut stderr = io::stderr().lock();
    for p in problems {
        let _ = writeln!(
            stderr,
            "scoped-db: warning: {}: {}; calls into the crates it names are not followed",
            visible(&display(&p.path)),
            p.reason
        );
    }
}

/// Says on standard error that part of the context could not be used: what the checked files see
/// of their project is less than it is, so a finding through those files may be missing. Not an
/// error of the run (the files are not being checked), so the exit status does not change.
fn note_context_errors(errors: &[FileError]) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(
        stderr,
        "scoped-db: {} in the context could not be read or parsed; findings that go through {} \
         may be missing:",
        match errors.len() {
            1 => "1 file".to_string(),
            n => format!("{n} files"),
        },
        if errors.len() == 1 { "it" } else { "them" },
    );
    for e in errors.iter().take(5) {
        let _ = writeln!(stderr, "  {}: {}", visible(&e.path), e.message);
    }
    if errors.len() > 5 {
        let _ = writeln!(stderr, "  and {} more", errors.len() - 5);
    }
}

/// Configuration files found below a root, by the directory that holds them.
#[derive(Default)]
struct Nested {
    /// Directory to the index of its settings in the run's list, or `None` when it has no
    /// configuration file of its own.
    dirs: HashMap<PathBuf, Option<usize>>,
}

impl Nested {
    /// The settings for `path`, found under `root`: those of the nearest directory strictly below
    /// the root with a configuration file, else the root's. A file that cannot be read is an
    /// error on that file, and the root's settings apply.
    fn settings_for(
        &mut self,
        root: &std::path::Path,
        path: &std::path::Path,
        root_index: usize,
        settings: &mut Vec<Settings>,
        errors: &mut Vec<FileError>,
    ) -> usize {
        for dir in path.ancestors().skip(1) {
            if dir == root || !dir.starts_with(root) {
                break;
            }
            let found = match self.dirs.get(dir) {
                Some(found) => *found,
                None => {
                    let found = config::file_in(dir).and_then(|file| match config::read(&file) {
                        Ok(s) => {
                            settings.push(s);
                            Some(settings.len() - 1)
                        }
                        Err(e) => {
                            errors.push(FileError {
                                path: display(&file),
                                detail: e.to_string(),
                                message: e.to_string(),
                                position: None,
                                file: None,
                            });
                            None
                        }
                    });
                    self.dirs.insert(dir.to_path_buf(), found);
                    found
                }
            };
            if let Some(i) = found {
                return i;
            }
        }
        root_index
    }
}

/// Applies what the user asked for to the engine's findings: severities and rules turned off,
/// `--select`/`--ignore`, and suppression comments (keeping count of those that silenced nothing).
fn settle_findings(
    outcome: &mut Outcome,
    args: &CheckArgs,
    settings: &[Settings],
    settings_of: &[usize],
    selection: &Selection,
) {
    let mut suppressions: HashMap<usize, (Vec<Suppression>, Vec<bool>)> = HashMap::new();
    let mut kept = Vec::new();
    for (file, mut finding) in std::mem::take(&mut outcome.findings) {
        let settings = &settings[settings_of[file]];
        if !selection.keeps(finding.rule) {
            continue;
        }
        let mut entry = outcome.files[file].text.as_deref().map(|text| {
            let (list, used) = suppressions.entry(file).or_insert_with(|| {
                let list = suppress::parse(text, outcome.files[file].path.ends_with(".py"));
                let used = vec![false; list.len()];
                (list, used)
            });
            (text, list, used)
        });
        let comments = entry
            .as_ref()
            .map(|(text, list, _)| (list.as_slice(), *text));
        let severity = match settle(&finding, settings, comments) {
            Settled::Off => continue,
            Settled::Suppressed(i) => {
                if let Some((_, _, used)) = entry.as_mut() {
                    used[i] = true;
                }
                continue;
            }
            Settled::Kept(severity) => severity,
        };
        finding.severity = severity;
        let fail_on = match args.fail_on {
            Some(FailOn::Error) => Severity::Error,
            Some(FailOn::Warning) => Severity::Warning,
            None => settings.fail_on,
        };
        kept.push((file, finding, severity >= fail_on));
    }
    // The contract's order: path, line, column, rule, whatever order the files were walked in.
    kept.sort_by(|(fa, a, _), (fb, b, _)| {
        (outcome.files[*fa].path.as_str(), a.primary.span, a.rule).cmp(&(
            outcome.files[*fb].path.as_str(),
            b.primary.span,
            b.rule,
        ))
    });
    (outcome.findings, outcome.fails) = kept
        .into_iter()
        .map(|(file, finding, fails)| ((file, finding), fails))
        .unzip();
    if args.report_unused_suppressions {
        let mut unused = Vec::new();
        for (file, f) in outcome.files.iter().enumerate() {
            let Some(text) = &f.text else {
                continue;
            };
            let (list, used) = suppressions.remove(&file).unwrap_or_else(|| {
                let list = suppress::parse(text, f.path.ends_with(".py"));
                let used = vec![false; list.len()];
                (list, used)
            });
            unused.extend(
                list.into_iter()
                    .zip(used)
                    .filter(|(s, used)| !used && s.reported_when_unused())
                    .map(|(s, _)| (file, s)),
            );
        }
        outcome.unused_suppressions = Some(unused);
    }
}

/// A size as people read it: `20.0 MiB`.
fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1u32 << 10)),
        b => format!("{b} bytes"),
    }
}

/// Reads one file (`shown` is how the run names it), or says why it could not.
fn read(path: &Path, shown: &str) -> Result<String, FileError> {
    let fail = |message: String| FileError {
        path: shown.to_string(),
        detail: message.clone(),
        message,
        position: None,
        file: None,
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(fail("is a directory".into())),
        Ok(_) => {}
        Err(e) => return Err(fail(io_message(&e))),
    }
    let bytes = std::fs::read(path).map_err(|e| fail(io_message(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "file is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The error for a file the engine could not check.
fn file_error(index: usize, path: &str, failure: engine::pipeline::Failure) -> FileError {
    use engine::pipeline::Failure;
    match failure {
        Failure::Unreadable(message) => FileError {
            path: path.to_string(),
            detail: message.clone(),
            message,
            position: None,
            file: None,
        },
        Failure::Source(e) => FileError {
            path: path.to_string(),
            message: e.to_string(),
            detail: e.message.clone(),
            position: e.position,
            file: Some(index),
        },
        Failure::Internal(what) => {
            let message =
                format!("internal error while checking this file ({what}); please report it");
            FileError {
                path: path.to_string(),
                detail: message.clone(),
                message,
                position: None,
                file: Some(index),
            }
        }
    }
}

fn display(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}
