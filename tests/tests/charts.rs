//! Plots draw: every lesson example renders to SVG with its data points, threshold
//! lines and labelled axes; and long series are decimated so a redraw stays cheap.

// Test helpers may unwrap: a failure is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alertmath_charts::{draw, DrawStats, View};
use alertmath_core::{analyze, Input, Params};
use alertmath_lessons::lesson::run_example;
use alertmath_lessons::load_all;
use alertmath_tests::repo;
use std::collections::BTreeMap;

fn svg(plot: &alertmath_core::plot::Plot, view: View) -> (String, DrawStats) {
    let mut out = String::new();
    let stats = {
        let backend = plotters::backend::SVGBackend::with_string(&mut out, (800, 400));
        draw(backend, plot, &view).unwrap()
    };
    (out, stats)
}

#[test]
fn every_lesson_example_draws_its_points_and_axes() {
    let dir = repo().join("target/plots");
    std::fs::create_dir_all(&dir).unwrap();
    for lesson in load_all(&repo().join("lessons")).unwrap() {
        for ex in &lesson.examples {
            let a = run_example(&lesson, ex, &BTreeMap::new()).unwrap();
            let (light, stats) = svg(&a.plot, View::default());
            let (dark, _) = svg(&a.plot, View { scale: 2.0, dark: true });
            let name = format!("{}-{}", lesson.id, ex.id);
            std::fs::write(dir.join(format!("{name}.svg")), &light).unwrap();
            assert!(stats.markers >= 1, "{name}: no markers");
            assert!(stats.paths >= 1, "{name}: no lines");
            for panel in &a.plot.panels {
                assert!(
                    light.contains(&panel.x.label) && light.contains(&panel.y.label),
                    "{name}: axis labels missing"
                );
            }
            if let Some(p) = &a.points {
                // Every point is drawn once, flagged ones a second time as a triangle, and
                // each labelled point layer once more as its legend sample.
                let flagged = p.flag.iter().filter(|&&f| f).count();
                let legend = a
                    .plot
                    .panels
                    .iter()
                    .flat_map(|panel| &panel.layers)
                    .filter(|l| {
                        matches!(l.kind, alertmath_core::plot::LayerKind::Points { .. })
                            && !l.label.is_empty()
                            && !l.kind.is_empty()
                    })
                    .count();
                assert_eq!(stats.markers, p.x.len() + flagged + legend, "{name}: markers");
            }
            assert_ne!(light, dark, "{name}: dark mode draws the same picture");
        }
    }
}

#[test]
fn a_hundred_thousand_points_are_decimated() {
    let n = 100_000;
    let data: Vec<f64> =
        (0..n).map(|i| ((i * 7919) % 1000) as f64 / 10.0 + if i == 77_777 { 500.0 } else { 0.0 }).collect();
    let a = analyze("z-score", Input::new().with("data", data), &Params::new()).unwrap();
    let (_, stats) = svg(&a.plot, View::default());
    // At most one marker per 2×2 pixel cell of an 800×400 canvas, plus the flagged ones.
    assert!(stats.markers < 800 * 400 / 4, "{} markers", stats.markers);
    assert!(stats.markers > 1000, "{} markers: the cloud was not drawn", stats.markers);
}

/// A panel marked equal-aspect draws one unit of x as long as one unit of y, whatever
/// the data ranges and the canvas shape, so a square stays a square.
#[test]
fn an_equal_aspect_panel_keeps_a_square_square() {
    use alertmath_core::plot::{Axis, Layer, Panel, Plot, Role};
    for (extra_x, extra_y) in [(5.0, 0.5), (0.5, 3.0)] {
        let panel = Panel::new("", Axis::linear("x"), Axis::linear("y"))
            .equal_aspect()
            .layer(Layer::polygon(vec![0.0, 1.0, 1.0, 0.0], vec![0.0, 0.0, 1.0, 1.0], Role::Data, ""))
            .layer(Layer::points(vec![extra_x], vec![extra_y], Role::Highlight, ""));
        let (out, _) = svg(&Plot::single(panel), View::default());
        let points = out.split("<polygon").nth(1).and_then(|p| p.split("points=\"").nth(1)).unwrap();
        let xy: Vec<(f64, f64)> = points
            .split('"')
            .next()
            .unwrap()
            .split_whitespace()
            .map(|p| {
                let (a, b) = p.split_once(',').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        let w = xy.iter().map(|p| p.0).fold(f64::MIN, f64::max) - xy.iter().map(|p| p.0).fold(f64::MAX, f64::min);
        let h = xy.iter().map(|p| p.1).fold(f64::MIN, f64::max) - xy.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        assert!(w > 20.0 && (w - h).abs() <= 2.0, "the unit square is drawn {w} × {h} pixels");
    }
}
