//! Pixel-space geometry: rectangles, clipping, column decimation and dashes.

/// An axis-aligned rectangle in pixels (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }
}

/// Clips a segment to `r` (Liang–Barsky); None when it lies outside.
fn clip_segment(p: (f64, f64), q: (f64, f64), r: Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (den, num) in [(-dx, p.0 - r.x0), (dx, r.x1 - p.0), (-dy, p.1 - r.y0), (dy, r.y1 - p.1)] {
        if den == 0.0 {
            if num < 0.0 {
                return None;
            }
        } else {
            let t = num / den;
            if den < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    Some(((p.0 + t0 * dx, p.1 + t0 * dy), (p.0 + t1 * dx, p.1 + t1 * dy)))
}

/// Clips a polyline to `r`, splitting it where it leaves the rectangle or has a
/// non-finite point (a gap in the data).
pub fn clip_polyline(pts: &[(f64, f64)], r: Rect) -> Vec<Vec<(f64, f64)>> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        let (p, q) = (w[0], w[1]);
        if !finite(&p) || !finite(&q) {
            if current.len() >= 2 {
                runs.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        match clip_segment(p, q, r) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    if current.len() >= 2 {
                        runs.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(a);
                }
                current.push(b);
            }
            None => {
                if current.len() >= 2 {
                    runs.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        runs.push(current);
    }
    runs
}

/// Reduces a polyline to at most four points per pixel column — the first, the lowest,
/// the highest and the last — in their original order. The drawn line is the same to
/// the pixel (the M4 aggregation).
pub fn decimate_columns(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let column = pts[i].0.floor();
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < pts.len() && pts[j].0.floor() == column {
            if pts[j].1 < pts[lo].1 {
                lo = j;
            }
            if pts[j].1 > pts[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let last = j - 1;
        let mut keep = [i, lo, hi, last];
        keep.sort_unstable();
        let mut previous = usize::MAX;
        for k in keep {
            if k != previous {
                out.push(pts[k]);
                previous = k;
            }
        }
        i = j.max(i + 1);
    }
    out
}

/// [`decimate_columns`] over each finite stretch of a polyline, keeping one non-finite
/// point between stretches so that gaps stay gaps. Decimating before clipping keeps a
/// noisy line that leaves the plot thousands of times from becoming thousands of runs.
pub fn decimate_keeping_gaps(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let mut out = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        if !finite(&pts[i]) {
            if out.last().is_some_and(finite) {
                out.push((f64::NAN, f64::NAN));
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < pts.len() && finite(&pts[i]) {
            i += 1;
        }
        out.extend(decimate_columns(&pts[start..i]));
    }
    out
}

/// A dense polyline as the outline of what it covers: in each pixel column, the span
/// from its highest to its lowest point there (the points of that column and where the
/// line crosses into the next one), widened by `half_width` up and down, as one polygon
/// (the tops left to right, then the bottoms right to left).
///
/// A noisy series of 100,000 samples, even decimated to the four points per column of
/// [`decimate_columns`], is a stroke that zigzags the full height of every column:
/// thousands of self-overlapping joins that the canvas takes hundreds of milliseconds
/// to rasterise. The polygon covers the same pixels (up to the anti-aliasing of the
/// joins) and fills in a fraction of that. None unless the line is dense, that is more
/// than `min_per_column` points per column on average, and runs left to right.
pub fn column_envelope(pts: &[(f64, f64)], half_width: f64, min_per_column: f64) -> Option<Vec<(f64, f64)>> {
    if pts.len() < 8
        || pts.windows(2).any(|w| w[1].0 < w[0].0 || !w[0].0.is_finite() || !w[1].0.is_finite() || !w[1].1.is_finite())
    {
        return None;
    }
    // (x, top, bottom) per column, in order.
    let mut cols: Vec<(f64, f64, f64)> = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let column = pts[i].0.floor();
        let (mut top, mut bottom) = (pts[i].1, pts[i].1);
        let mut j = i;
        while j < pts.len() && pts[j].0.floor() == column {
            top = top.min(pts[j].1);
            bottom = bottom.max(pts[j].1);
            j += 1;
        }
        // Where the segment to the next point crosses into the next column.
        if let (Some(&a), Some(&b)) = (pts.get(j - 1), pts.get(j)) {
            let edge = column + 1.0;
            let y = if b.0 > a.0 { a.1 + (b.1 - a.1) * ((edge - a.0) / (b.0 - a.0)).clamp(0.0, 1.0) } else { b.1 };
            top = top.min(y);
            bottom = bottom.max(y);
        }
        if let Some(last) = cols.last_mut() {
            // The crossing belongs to both columns it separates.
            if let Some(&a) = pts.get(i.wrapping_sub(1)) {
                let b = pts[i];
                let y =
                    if b.0 > a.0 { a.1 + (b.1 - a.1) * ((column - a.0) / (b.0 - a.0)).clamp(0.0, 1.0) } else { a.1 };
                top = top.min(y);
                bottom = bottom.max(y);
                last.1 = last.1.min(y);
                last.2 = last.2.max(y);
            }
        }
        cols.push((column + 0.5, top, bottom));
        i = j;
    }
    if (pts.len() as f64) < min_per_column * cols.len() as f64 {
        return None;
    }
    // The ends sit where the line starts and stops, not at their columns' centres.
    if let (Some(first), Some(p)) = (cols.first_mut(), pts.first()) {
        first.0 = p.0;
    }
    if let (Some(last), Some(p)) = (cols.last_mut(), pts.last()) {
        last.0 = p.0;
    }
    let mut poly: Vec<(f64, f64)> = cols.iter().map(|&(x, top, _)| (x, top - half_width)).collect();
    poly.extend(cols.iter().rev().map(|&(x, _, bottom)| (x, bottom + half_width)));
    Some(poly)
}

/// Splits a polyline into dashes of `on` pixels separated by `off` pixels.
pub fn dash(pts: &[(f64, f64)], on: f64, off: f64) -> Vec<Vec<(f64, f64)>> {
    if on <= 0.0 || off <= 0.0 {
        return vec![pts.to_vec()];
    }
    let mut out = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut drawing = true;
    let mut left = on;
    if let Some(&first) = pts.first() {
        current.push(first);
    }
    for w in pts.windows(2) {
        let (mut p, q) = (w[0], w[1]);
        let mut seg = ((q.0 - p.0).powi(2) + (q.1 - p.1).powi(2)).sqrt();
        // Bounded: each pass consumes at least min(on, off) pixels of the segment.
        while seg > left {
            let t = left / seg;
            let m = (p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1));
            if drawing {
                current.push(m);
                out.push(std::mem::take(&mut current));
            } else {
                current = vec![m];
            }
            drawing = !drawing;
            seg -= left;
            p = m;
            left = if drawing { on } else { off };
        }
        left -= seg;
        if drawing {
            current.push(q);
        }
    }
    if drawing && current.len() >= 2 {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rect = Rect { x0: 0.0, y0: 0.0, x1: 100.0, y1: 100.0 };

    #[test]
    fn a_line_leaving_the_plot_is_cut_at_the_edge() {
        let runs = clip_polyline(&[(50.0, 50.0), (150.0, 50.0)], R);
        assert_eq!(runs, vec![vec![(50.0, 50.0), (100.0, 50.0)]]);
    }

    #[test]
    fn a_gap_splits_the_line() {
        let runs = clip_polyline(&[(1.0, 1.0), (2.0, 2.0), (f64::NAN, 3.0), (4.0, 4.0), (5.0, 5.0)], R);
        assert_eq!(runs.len(), 2);
    }

    #[test]
    fn a_line_outside_is_dropped() {
        assert!(clip_polyline(&[(-10.0, -10.0), (-5.0, -1.0)], R).is_empty());
    }

    #[test]
    fn decimation_keeps_the_extremes_of_each_column() {
        let pts: Vec<(f64, f64)> =
            (0..1000).map(|i| (i as f64 / 100.0, if i == 500 { 99.0 } else { (i % 7) as f64 })).collect();
        let out = decimate_columns(&pts);
        assert!(out.len() <= 4 * 10);
        assert!(out.contains(&(5.0, 99.0)));
        assert_eq!(out.first(), pts.first());
        assert_eq!(out.last(), pts.last());
    }

    #[test]
    fn decimating_before_clipping_keeps_gaps_and_extremes() {
        let mut pts: Vec<(f64, f64)> = (0..3000).map(|i| (i as f64 / 30.0, ((i * 37) % 101) as f64)).collect();
        pts[1500] = (50.0, f64::NAN);
        let out = decimate_keeping_gaps(&pts);
        assert!(out.len() <= 4 * 101 + 2, "{}", out.len());
        assert_eq!(out.iter().filter(|p| p.1.is_nan()).count(), 1);
        assert_eq!(clip_polyline(&out, R).len(), clip_polyline(&pts, R).len());
        let max = out.iter().filter(|p| p.1.is_finite()).map(|p| p.1).fold(0.0, f64::max);
        assert_eq!(max, 100.0);
    }

    #[test]
    fn a_dense_line_becomes_its_column_envelope() {
        // A noisy line: 40 points per column over 100 columns.
        let pts: Vec<(f64, f64)> = (0..4000).map(|i| (i as f64 / 40.0, ((i * 37) % 101) as f64 / 2.0)).collect();
        let dec = decimate_columns(&pts);
        let poly = column_envelope(&dec, 1.0, 2.5).expect("dense");
        assert_eq!(poly.len(), 2 * 100);
        // Every point lies between the top and the bottom of its column.
        for &(x, y) in &pts {
            let c = x.floor() as usize;
            let (top, bottom) = (poly[c].1, poly[poly.len() - 1 - c].1);
            assert!(top <= y - 1.0 && y + 1.0 <= bottom, "({x}, {y}) outside [{top}, {bottom}]");
        }
        assert_eq!(poly.first().map(|p| p.0), Some(0.0));
        // A smooth line, or one that runs backwards, is left to be stroked.
        let smooth: Vec<(f64, f64)> = (0..400).map(|i| (i as f64 / 4.0, i as f64 / 8.0)).collect();
        assert!(column_envelope(&decimate_columns(&smooth), 1.0, 2.5).is_none());
        let backwards: Vec<(f64, f64)> = dec.iter().rev().copied().collect();
        assert!(column_envelope(&backwards, 1.0, 2.5).is_none());
    }

    #[test]
    fn dashes_cover_about_the_on_fraction() {
        let d = dash(&[(0.0, 0.0), (100.0, 0.0)], 6.0, 4.0);
        let drawn: f64 = d.iter().map(|p| p.last().unwrap().0 - p.first().unwrap().0).sum();
        assert!((drawn - 60.0).abs() < 6.0, "{drawn}");
    }
}
