//! alertmath-lessons: the lesson files. Loads `lessons/index.toml` and each lesson,
//! compiles prose and TeX math to node trees, verifies every worked example and claim
//! against the core, and writes the JSON the site reads (`www/lessons/`).
//!
//! The binary of the same name is what `build.sh` runs:
//! `alertmath-lessons build <lessons dir> <output dir>`.

pub mod lesson;
pub mod math;
pub mod node;
pub mod prose;

pub use lesson::{load_all, to_json, verify, Lesson, Problem, Status};
