//! The floor of the benchmark: parses every `.rs` file under the given paths with syn (the same
//! major and features as scoped-db, without `span-locations`) on `RAYON_NUM_THREADS` threads, and
//! prints how many parsed. Nothing else is done with the trees.

use rayon::prelude::*;

fn main() {
    let files: Vec<std::path::PathBuf> = std::env::args()
        .skip(1)
        .flat_map(|root| {
            walkdir::WalkDir::new(root)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
                .map(|e| e.into_path())
        })
        .collect();
    let parsed = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            rayon::ThreadPoolBuilder::new()
                .stack_size(256 << 20)
                .build()
                .expect("thread pool")
                .install(|| {
                    files
                        .par_iter()
                        .filter(|p| {
                            std::fs::read_to_string(p)
                                .ok()
                                .is_some_and(|text| syn::parse_file(&text).is_ok())
                        })
                        .count()
                })
        })
        .expect("thread")
        .join()
        .expect("no panic");
    println!("{parsed}");
}
