//! `scoped-db check`: read the files, run the engine's passes in parallel, render, pick the exit
//! status.

use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use rayon::prelude::*;
use scoped_db_engine::{self as engine, Finding, FnSummary, Index, LineCol, Location, Options};

use crate::args::{CheckArgs, Color, Format};
use crate::discover::{discover, io_message};
use crate::emit::{self, Emitter};

/// Files larger than this are reported, not read: no real source file comes near it.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Stack for the analysis threads: parsing deeply nested expressions recurses.
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// A file the run knows about.
pub struct SourceFile {
    /// As given on the command line joined with the path below it.
    pub path: String,
    /// The text, when it could be read.
    pub text: Option<Arc<str>>,
}

/// A file that could not be checked.
pub struct FileError {
    pub path: String,
    /// What went wrong, with the position when there is one (`expected `;` at line 3 column 9`).
    pub message: String,
    /// The same without the position, for output that shows the position another way.
    pub detail: String,
    /// Where in the file, for a parse error.
    pub position: Option<LineCol>,
    /// Index into [`Outcome::files`], when the file was read.
    pub file: Option<usize>,
}

/// Everything a run produced, for the emitters.
pub struct Outcome {
    pub files: Vec<SourceFile>,
    pub findings: Vec<(usize, Finding<Location>)>,
    pub errors: Vec<FileError>,
    pub files_checked: usize,
}

pub fn check(args: &CheckArgs) -> ExitCode {
    let outcome = analyze(args);
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            use std::io::IsTerminal;
            std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal()
        }
    };
    let emitter: Box<dyn Emitter> = match args.format {
        Format::Human => Box::new(emit::human::Human { color }),
        Format::Json => Box::new(emit::json::Json),
    };
    let stdout = io::stdout();
    let stderr = io::stderr();
    let result = emitter.emit(&mut stdout.lock(), &mut stderr.lock(), &outcome);
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            let _ = writeln!(io::stderr(), "scoped-db: cannot write output: {e}");
            return ExitCode::from(2);
        }
    }
    if !outcome.errors.is_empty() {
        ExitCode::from(2)
    } else if !outcome.findings.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn analyze(args: &CheckArgs) -> Outcome {
    let (paths, discovery_errors) = discover(&args.paths, args.include_tests);
    let mut errors: Vec<FileError> = discovery_errors
        .into_iter()
        .map(|e| FileError {
            path: display(&e.path),
            detail: e.message.clone(),
            message: e.message,
            position: None,
            file: None,
        })
        .collect();
    let options = Options {
        include_tests: args.include_tests,
        ..Options::default()
    };

    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .build()
        .expect("the analysis thread pool starts");
    // A panic in one file must not end the run: it becomes an error on that file. The default hook
    // would print a backtrace in the middle of the output.
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));

    let outcome = pool.install(|| {
        let files: Vec<SourceFile> = paths
            .par_iter()
            .map(read)
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(file, error)| {
                if let Some(e) = error {
                    errors.push(e);
                }
                file
            })
            .collect();

        // Pass 1: declarations. Each syntax tree is dropped as soon as it is read.
        let decls: Vec<Result<engine::FileDecls, FileError>> = files
            .par_iter()
            .enumerate()
            .map(|(i, f)| match &f.text {
                Some(text) => guarded(i, &f.path, || engine::index_source(&f.path, text)),
                None => Ok(engine::FileDecls::default()),
            })
            .collect();
        let mut failed = vec![false; files.len()];
        let decls = settle(decls, &mut failed, &mut errors);
        let index = Index::new(decls);

        // Pass 2: per-function summaries, with the whole run's declarations in view.
        let summaries: Vec<Result<Vec<FnSummary<Location>>, FileError>> = files
            .par_iter()
            .enumerate()
            .map(|(i, f)| match &f.text {
                Some(text) if !failed[i] => guarded(i, &f.path, || {
                    engine::summarize_source(&f.path, text, &index, &options)
                }),
                _ => Ok(Vec::new()),
            })
            .collect();
        let groups = settle(summaries, &mut failed, &mut errors);
        let files_checked = files
            .iter()
            .zip(&failed)
            .filter(|(f, failed)| f.text.is_some() && !**failed)
            .count();

        // Pass 3: the fixpoint across every file of the run.
        let findings = engine::link(&groups);
        Outcome {
            files,
            findings,
            errors: Vec::new(),
            files_checked,
        }
    });
    panic::set_hook(previous_hook);

    errors.sort_by(|a, b| a.path.cmp(&b.path));
    Outcome { errors, ..outcome }
}

/// The values of one pass, in file order; a file that failed gets an empty value, is marked failed
/// and its error kept.
fn settle<T: Default>(
    results: Vec<Result<T, FileError>>,
    failed: &mut [bool],
    errors: &mut Vec<FileError>,
) -> Vec<T> {
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|e| {
                failed[i] = true;
                errors.push(e);
                T::default()
            })
        })
        .collect()
}

/// Reads one file, or says why it could not.
fn read(path: &PathBuf) -> (SourceFile, Option<FileError>) {
    let shown = display(path);
    let fail = |message: String| {
        (
            SourceFile {
                path: shown.clone(),
                text: None,
            },
            Some(FileError {
                path: shown.clone(),
                detail: message.clone(),
                message,
                position: None,
                file: None,
            }),
        )
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            return fail(format!(
                "file is too large to check ({} bytes; the limit is {} bytes)",
                meta.len(),
                MAX_FILE_BYTES
            ));
        }
        Ok(meta) if meta.is_dir() => return fail("is a directory".into()),
        Ok(_) => {}
        Err(e) => return fail(io_message(&e)),
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return fail(io_message(&e)),
    };
    match String::from_utf8(bytes) {
        Ok(text) => (
            SourceFile {
                path: shown,
                text: Some(Arc::from(text)),
            },
            None,
        ),
        Err(e) => fail(format!(
            "file is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )),
    }
}

/// Runs one engine step on one file, turning a parse error or a panic into an error on that file.
fn guarded<T>(
    index: usize,
    path: &str,
    step: impl FnOnce() -> Result<T, engine::SourceError>,
) -> Result<T, FileError> {
    match panic::catch_unwind(AssertUnwindSafe(step)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(FileError {
            path: path.to_string(),
            message: e.to_string(),
            detail: e.message.clone(),
            position: e.position,
            file: Some(index),
        }),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let message =
                format!("internal error while checking this file ({what}); please report it");
            Err(FileError {
                path: path.to_string(),
                detail: message.clone(),
                message,
                position: None,
                file: Some(index),
            })
        }
    }
}

fn display(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}
