//! `alertmath-lessons build <lessons dir> <output dir>`: checks every lesson against the
//! core and writes `index.json` and `<id>.json` for the site. Any problem stops the build
//! with the file and the claim it is in.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, src, out] if cmd == "golden" => match golden(Path::new(src), Path::new(out)) {
            Ok(n) => {
                println!("golden: {} examples written to {}", n, out);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("golden: {}", e);
                ExitCode::FAILURE
            }
        },
        [cmd, src, out] if cmd == "build" => match build(Path::new(src), Path::new(out)) {
            Ok(n) => {
                println!("lessons: {} built into {}", n, out);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("lessons: {}", e);
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: alertmath-lessons build <lessons dir> <output dir>");
            eprintln!("       alertmath-lessons golden <lessons dir> <output file>");
            ExitCode::from(2)
        }
    }
}

fn build(src: &Path, out: &Path) -> Result<usize, String> {
    let (sections, lessons) = alertmath_lessons::lesson::load_index(src)?;
    let problems: Vec<String> = lessons.iter().flat_map(alertmath_lessons::verify).map(|p| p.to_string()).collect();
    if !problems.is_empty() {
        return Err(format!("{} problem(s):\n  {}", problems.len(), problems.join("\n  ")));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {}", out.display(), e))?;
    let write = |name: String, value: &dyn erased::Json| -> Result<(), String> {
        let path = out.join(name);
        std::fs::write(&path, value.json()?).map_err(|e| format!("{}: {}", path.display(), e))
    };
    write("index.json".into(), &alertmath_lessons::lesson::index_json(&sections, &lessons))?;
    for lesson in &lessons {
        write(format!("{}.json", lesson.id), &alertmath_lessons::to_json(lesson)?)?;
    }
    Ok(lessons.len())
}

/// Writes every lesson example's analysis (verdict, numeric values, flags) as computed by
/// this native build; the wasm test in Chromium must reproduce it bit for bit.
fn golden(src: &Path, out: &Path) -> Result<usize, String> {
    let lessons = alertmath_lessons::load_all(src)?;
    let value = alertmath_lessons::lesson::golden(&lessons)?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {}", dir.display(), e))?;
    }
    let n = value.as_object().map_or(0, |o| o.len());
    let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    std::fs::write(out, text).map_err(|e| format!("{}: {}", out.display(), e))?;
    Ok(n)
}

mod erased {
    /// Serialises any of the output types (a tiny object-safe wrapper over serde).
    pub trait Json {
        fn json(&self) -> Result<String, String>;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<String, String> {
            serde_json::to_string(self).map_err(|e| e.to_string())
        }
    }
}
