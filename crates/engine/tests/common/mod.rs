//! The fixture corpus, shared by the tests that read it.

use std::path::{Path, PathBuf};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn rust_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && recursive {
            rust_files(&path, true, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "py") {
            out.push(path);
        }
    }
}

/// The runs: lists of files checked together. A file directly in `fixtures/` or
/// `fixtures/python/` is a run on its own; another directory that holds sources is one run over
/// all of them, and a directory without is searched further.
pub fn units() -> Vec<Vec<PathBuf>> {
    fn dirs(dir: &Path, top: bool, units: &mut Vec<Vec<PathBuf>>) {
        let mut direct = Vec::new();
        rust_files(dir, false, &mut direct);
        // `fixtures/python/` is laid out like `fixtures/`: a file is a run of its own.
        let top = top || dir.file_name().is_some_and(|n| n == "python");
        // A Cargo workspace or package is one run over every source in it, as a user checks it.
        if !top && dir.join("Cargo.toml").is_file() {
            let mut all = Vec::new();
            rust_files(dir, true, &mut all);
            units.push(all);
            return;
        }
        if top {
            units.extend(direct.into_iter().map(|f| vec![f]));
        } else if !direct.is_empty() {
            let mut all = Vec::new();
            rust_files(dir, true, &mut all);
            units.push(all);
            return;
        }
        let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        for sub in subdirs {
            dirs(&sub, false, units);
        }
    }
    let mut units = Vec::new();
    dirs(&fixtures_dir(), true, &mut units);
    units
}

/// `fixtures/...` as the CLI would name the file when run from the repository root.
pub fn relative(path: &Path) -> String {
    format!(
        "fixtures/{}",
        path.strip_prefix(fixtures_dir()).unwrap().to_string_lossy()
    )
}

/// The files of a run with their texts.
pub fn read(unit: &[PathBuf]) -> Vec<(String, String)> {
    unit.iter()
        .map(|p| (relative(p), std::fs::read_to_string(p).unwrap()))
        .collect()
}

/// The engine options a run's `scoped-db.toml` asks for (`handles`, `providers`, `pools`), so a
/// fixture directory can declare the project's own types the way a user would.
pub fn options_for(unit: &[PathBuf], include_tests: bool) -> scoped_db_engine::Options {
    let mut options = scoped_db_engine::Options {
        include_tests,
        ..scoped_db_engine::Options::default()
    };
    let Some(dir) = unit.first().and_then(|f| {
        f.ancestors()
            .take_while(|d| *d != fixtures_dir())
            .find(|d| d.join("scoped-db.toml").is_file())
    }) else {
        return options;
    };
    let text = std::fs::read_to_string(dir.join("scoped-db.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let strings = |key: &str| -> Vec<String> {
        table
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    options.handles = strings("handles");
    options.providers = strings("providers");
    for pool in table
        .get("pools")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        let ty = pool["type"].as_str().unwrap().to_string();
        let methods = pool["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect();
        options.pools.push((ty, methods));
    }
    options
}

/// The configuration of each file of a run: the run's, with what the file's crate calls the
/// crates of the run it depends on, read from the manifests above it as the command line reads
/// them.
pub fn file_options(
    unit: &[PathBuf],
    options: &scoped_db_engine::Options,
) -> Vec<scoped_db_engine::Options> {
    let written: Vec<String> = unit.iter().map(|p| relative(p)).collect();
    let pairs: Vec<(&Path, &str)> = unit
        .iter()
        .zip(&written)
        .map(|(p, w)| (p.as_path(), w.as_str()))
        .collect();
    let (names, problems) =
        scoped_db_engine::manifests::crate_names(&pairs, &mut |p| std::fs::read_to_string(p));
    assert!(problems.is_empty(), "{problems:?}");
    names
        .into_iter()
        .map(|crates| scoped_db_engine::Options {
            crates,
            ..options.clone()
        })
        .collect()
}

/// Per run: its files' texts, and each file's configuration.
pub type Runs = (
    Vec<Vec<(String, String)>>,
    Vec<Vec<scoped_db_engine::Options>>,
);

/// Every fixture run: its files' texts and each file's configuration (tests excluded).
#[allow(dead_code)]
pub fn runs() -> Runs {
    let units = units();
    let texts = units.iter().map(|u| read(u)).collect();
    let options = units
        .iter()
        .map(|u| file_options(u, &options_for(u, false)))
        .collect();
    (texts, options)
}

/// The files of a run as the engine's sources, each with its configuration.
#[allow(dead_code)]
pub fn sources<'a>(
    unit: &'a [(String, String)],
    options: &'a [scoped_db_engine::Options],
) -> Vec<scoped_db_engine::Source<'a>> {
    unit.iter()
        .zip(options)
        .map(|((path, text), options)| scoped_db_engine::Source {
            path,
            text,
            options,
        })
        .collect()
}
