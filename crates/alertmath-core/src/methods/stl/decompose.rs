//! STL itself: the seasonal-trend decomposition by LOESS of Cleveland, Cleveland, McRae
//! and Terpenning (1990, Journal of Official Statistics 6, 3–73).
//!
//! The inner loop, repeated `inner` times from a zero trend:
//!
//! 1. detrend: D = y − T;
//! 2. cycle-subseries smoothing: the values at each position of the cycle are smoothed
//!    by LOESS over `seasonal` points, and each subseries is extended by one value
//!    before and after (LOESS extrapolation), giving C of length n + 2·period;
//! 3. low-pass filter of C: moving averages of length period, period and 3, then LOESS
//!    over `low_pass` points, giving L of length n;
//! 4. seasonal: S = C − L (C shifted by one period);
//! 5. deseasonalise: y − S;
//! 6. trend: LOESS of y − S over `trend` points.
//!
//! The outer loop gives each point a robustness weight from its remainder, Tukey's
//! bisquare B(|R| / 6·median|R|), and runs the inner loop again with every LOESS fit
//! but the low-pass one weighted by it.
//!
//! Each LOESS fit is the local polynomial of degree 0 or 1 with tricube weights over
//! the window, widened by half the excess when the window is longer than the data; with
//! `jump` > 1 the fits are made every `jump` points and interpolated linearly between.
//! The numerical details (the 0.001 and 0.999 cut-offs of the weights, the condition
//! for the linear term, the last point of a jumped smooth, an all-zero weight falling
//! back to the data) follow the published Fortran, as statsmodels and R do, so that the
//! numbers agree with both to rounding.

/// One LOESS smoother of the procedure: window length (odd), degree (0 or 1), jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Smoother {
    pub len: usize,
    pub degree: u8,
    pub jump: usize,
}

/// Everything the procedure needs besides the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Samples per cycle. 1 means no seasonal component: the trend LOESS only.
    pub period: usize,
    pub seasonal: Smoother,
    pub trend: Smoother,
    pub low_pass: Smoother,
    /// Passes of the inner loop per outer iteration.
    pub inner: usize,
    /// Robustness iterations (0: no robustness weights).
    pub outer: usize,
}

/// The components after the first inner pass, for the trace.
#[derive(Debug, Clone, Default)]
pub struct FirstPass {
    /// The smoothed cycle-subseries, extended by one period at each end (n + 2·period).
    pub cycle: Vec<f64>,
    /// The low-pass filter of `cycle` (n).
    pub low_pass: Vec<f64>,
    pub seasonal: Vec<f64>,
    pub trend: Vec<f64>,
}

/// The result of the procedure.
#[derive(Debug, Clone, Default)]
pub struct Decomposition {
    pub trend: Vec<f64>,
    pub seasonal: Vec<f64>,
    /// The final robustness weights (all 1 without robustness iterations).
    pub weights: Vec<f64>,
    /// 6 × the median |remainder| the last robustness weights were computed with.
    pub weight_scale: f64,
    pub first: FirstPass,
}

/// Where one local fit is made: at position `xs` (1-based, may lie one step outside the
/// data), from the points `left ..= right` (1-based).
#[derive(Debug, Clone, Copy)]
struct Span {
    xs: i64,
    left: usize,
    right: usize,
}

/// A LOESS fitter with its scratch space. Fits whose window sits the same way around
/// the point and carry no robustness weights share their weights, which are computed
/// once: in the interior of a smooth every fit is the same kernel.
#[derive(Debug, Default)]
struct Loess {
    w: Vec<f64>,
    kernel: Vec<f64>,
    key: Option<(usize, usize, u8, i64, i64)>,
    /// The tricube weights of the last weighted fit's window shape, reused while the
    /// shape (position in the window, h, length) stays the same.
    tricubes: Vec<f64>,
    tricube_key: Option<(i64, u64, usize)>,
}

impl Loess {
    /// The LOESS estimate at position `xs` (1-based, may lie one step outside the data)
    /// from `y[nleft-1 .. nright]`, or None when every weight is zero.
    fn fit(&mut self, y: &[f64], len: usize, degree: u8, span: Span, rw: Option<&[f64]>) -> Option<f64> {
        let Span { xs, left: nleft, right: nright } = span;
        let n = y.len();
        if nleft == 0 || nright > n || nleft > nright || rw.is_some_and(|r| r.len() < n) {
            return None;
        }
        let window = &y[nleft - 1..nright];
        let key = (n, len, degree, xs - nleft as i64, nright as i64 - xs);
        if rw.is_none() && self.key == Some(key) && self.kernel.len() == window.len() {
            return Some(dot(&self.kernel, window));
        }
        let range = n as f64 - 1.0;
        let mut h = (xs - nleft as i64).max(nright as i64 - xs) as f64;
        if len > n {
            h += ((len - n) / 2) as f64;
        }
        let h9 = 0.999 * h;
        if let Some(rw) = rw {
            let at = xs - nleft as i64;
            let shape = (at, h.to_bits(), window.len());
            if self.tricube_key != Some(shape) {
                self.tricubes.clear();
                self.tricubes.extend((0..window.len()).map(|k| tricube((k as i64 - at).abs() as f64, h)));
                self.tricube_key = Some(shape);
            }
            return weighted_fit(window, &rw[nleft - 1..nright], &self.tricubes, at, h, degree, range);
        }
        let w = &mut self.w;
        w.clear();
        w.resize(window.len(), 0.0);
        let mut total = 0.0;
        for (k, wk) in w.iter_mut().enumerate() {
            let r = ((nleft + k) as i64 - xs).abs() as f64;
            if r <= h9 {
                *wk = tricube(r, h);
                total += *wk;
            }
        }
        if total <= 0.0 {
            return None;
        }
        for wk in w.iter_mut() {
            *wk /= total;
        }
        if h > 0.0 && degree > 0 {
            // The locally linear fit, written as a correction of the weights: the
            // weighted mean position a, and the weighted spread c about it.
            let offset = |k: usize| (nleft + k) as f64 - xs as f64;
            let mut a = 0.0;
            for (k, &wk) in w.iter().enumerate() {
                a += wk * offset(k);
            }
            let mut c = 0.0;
            for (k, &wk) in w.iter().enumerate() {
                let d = offset(k) - a;
                c += wk * d * d;
            }
            if c.sqrt() > 0.001 * range {
                let b = -a / c;
                for (k, wk) in w.iter_mut().enumerate() {
                    *wk *= b * (offset(k) - a) + 1.0;
                }
            }
        }
        let value = dot(w, window);
        self.kernel.clear();
        self.kernel.extend_from_slice(w);
        self.key = Some(key);
        Some(value)
    }

    /// LOESS of `y` at every point (or every `jump` points, interpolated linearly), into
    /// `out` (same length). A fit whose weights are all zero gives the data value.
    fn smooth(&mut self, y: &[f64], s: Smoother, rw: Option<&[f64]>, out: &mut [f64]) {
        let n = y.len().min(out.len());
        if n == 0 {
            return;
        }
        if n < 2 {
            out[0] = y[0];
            return;
        }
        let len = s.len.max(1);
        let jump = s.jump.max(1).min(n - 1);
        let (mut nleft, mut nright);
        if len >= n {
            nleft = 1;
            nright = n;
            for i in (0..n).step_by(jump) {
                out[i] = self
                    .fit(&y[..n], len, s.degree, Span { xs: i as i64 + 1, left: nleft, right: nright }, rw)
                    .unwrap_or(y[i]);
            }
        } else if jump == 1 {
            let half = len.div_ceil(2);
            nleft = 1;
            nright = len;
            for i in 0..n {
                if i + 1 > half && nright != n {
                    nleft += 1;
                    nright += 1;
                }
                out[i] = self
                    .fit(&y[..n], len, s.degree, Span { xs: i as i64 + 1, left: nleft, right: nright }, rw)
                    .unwrap_or(y[i]);
            }
        } else {
            let half = len.div_ceil(2);
            nleft = 1;
            nright = len;
            for i in (0..n).step_by(jump) {
                if i + 1 < half {
                    nleft = 1;
                    nright = len;
                } else if i + 1 > n - half {
                    nleft = n - len + 1;
                    nright = n;
                } else {
                    nleft = i + 1 - half + 1;
                    nright = len + i + 1 - half;
                }
                out[i] = self
                    .fit(&y[..n], len, s.degree, Span { xs: i as i64 + 1, left: nleft, right: nright }, rw)
                    .unwrap_or(y[i]);
            }
        }
        if jump == 1 {
            return;
        }
        let mut i = 0;
        while i + jump < n {
            let delta = (out[i + jump] - out[i]) / jump as f64;
            let base = out[i];
            for (step, o) in out[i..i + jump].iter_mut().enumerate() {
                *o = base + delta * step as f64;
            }
            i += jump;
        }
        // The last fitted point (1-based k); the end of the series gets its own fit,
        // with the window of the last fit, and the points between are interpolated.
        let k = ((n - 1) / jump) * jump + 1;
        if k != n {
            out[n - 1] = self
                .fit(&y[..n], len, s.degree, Span { xs: n as i64, left: nleft, right: nright }, rw)
                .unwrap_or(y[n - 1]);
            if k != n - 1 {
                let delta = (out[n - 1] - out[k - 1]) / (n - k) as f64;
                let base = out[k - 1];
                for (step, o) in out[k..n].iter_mut().enumerate() {
                    *o = base + delta * (step + 1) as f64;
                }
            }
        }
    }
}

/// The tricube weight of a point at distance r from the fitted position, with the
/// published cut-offs: 1 within 0.001·h, 0 beyond 0.999·h.
fn tricube(r: f64, h: f64) -> f64 {
    if r <= 0.001 * h {
        1.0
    } else if r <= 0.999 * h {
        let q = r / h;
        let t = 1.0 - q * q * q;
        t * t * t
    } else {
        0.0
    }
}

/// A fit with robustness weights, in one pass over the window: the weighted sums of 1,
/// d, d², y and d·y (d = position − fitted position) give the same estimate as
/// correcting the weights for the local line, which is what the unweighted fits do and
/// cache. `at` is the fitted position's offset from the window's first point, and
/// `tricubes` the distance weights of the window's points.
fn weighted_fit(window: &[f64], rw: &[f64], tricubes: &[f64], at: i64, h: f64, degree: u8, range: f64) -> Option<f64> {
    let (mut sw, mut swd, mut swdd, mut swy, mut swdy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, ((&y, &r), &t)) in window.iter().zip(rw).zip(tricubes).enumerate() {
        let d = (k as i64 - at) as f64;
        let w = t * r;
        if w != 0.0 {
            sw += w;
            swd += w * d;
            swdd += w * d * d;
            swy += w * y;
            swdy += w * d * y;
        }
    }
    if sw <= 0.0 {
        return None;
    }
    let a = swd / sw;
    let mean_y = swy / sw;
    if h > 0.0 && degree > 0 {
        let c = swdd / sw - a * a;
        if c > 0.0 && c.sqrt() > 0.001 * range {
            return Some(mean_y + (-a / c) * (swdy / sw - a * mean_y));
        }
    }
    Some(mean_y)
}

fn dot(w: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, b) in w.iter().zip(y) {
        s += a * b;
    }
    s
}

/// Moving averages of length `len` over `x` into `out`: x.len() − len + 1 values, by a
/// running sum with compensation.
fn moving_average(x: &[f64], len: usize, out: &mut Vec<f64>) {
    out.clear();
    if len == 0 || x.len() < len {
        return;
    }
    let mut sum = super::super::timeseries::RunningSum::default();
    for &v in &x[..len] {
        sum.add(v);
    }
    let flen = len as f64;
    out.push(sum.value() / flen);
    for k in len..x.len() {
        sum.add(x[k]);
        sum.add(-x[k - len]);
        out.push(sum.value() / flen);
    }
}

/// Scratch buffers for one decomposition.
#[derive(Debug, Default)]
struct Work {
    loess: Loess,
    detrended: Vec<f64>,
    cycle: Vec<f64>,
    low_pass: Vec<f64>,
    deseasonalised: Vec<f64>,
    sub: Vec<f64>,
    sub_rw: Vec<f64>,
    sub_out: Vec<f64>,
    ma1: Vec<f64>,
    ma2: Vec<f64>,
}

impl Work {
    /// Step 2: smooth each cycle-subseries of `self.detrended` into `self.cycle`
    /// (n + 2·period values).
    fn cycle_subseries(&mut self, period: usize, s: Smoother, rw: Option<&[f64]>) {
        let n = self.detrended.len();
        self.cycle.clear();
        self.cycle.resize(n + 2 * period, 0.0);
        for j in 0..period {
            if j >= n {
                break;
            }
            let k = (n - 1 - j) / period + 1;
            self.sub.clear();
            self.sub.extend((0..k).map(|i| self.detrended[i * period + j]));
            let sub_rw = match rw {
                Some(rw) => {
                    self.sub_rw.clear();
                    self.sub_rw.extend((0..k).map(|i| rw[i * period + j]));
                    Some(self.sub_rw.as_slice())
                }
                None => None,
            };
            self.sub_out.clear();
            self.sub_out.resize(k + 2, 0.0);
            self.loess.smooth(&self.sub, s, sub_rw, &mut self.sub_out[1..k + 1]);
            let before =
                self.loess.fit(&self.sub, s.len, s.degree, Span { xs: 0, left: 1, right: s.len.min(k) }, sub_rw);
            self.sub_out[0] = before.unwrap_or(self.sub_out[1]);
            let nleft = if k >= s.len { k - s.len + 1 } else { 1 };
            let after =
                self.loess.fit(&self.sub, s.len, s.degree, Span { xs: k as i64 + 1, left: nleft, right: k }, sub_rw);
            self.sub_out[k + 1] = after.unwrap_or(self.sub_out[k]);
            for (m, &v) in self.sub_out.iter().enumerate() {
                if let Some(slot) = self.cycle.get_mut(m * period + j) {
                    *slot = v;
                }
            }
        }
    }

    /// Step 3: moving averages of length period, period and 3 of `self.cycle`, then LOESS.
    fn low_pass_filter(&mut self, n: usize, period: usize, s: Smoother) {
        moving_average(&self.cycle, period, &mut self.ma1);
        moving_average(&self.ma1, period, &mut self.ma2);
        moving_average(&self.ma2, 3, &mut self.ma1);
        self.low_pass.clear();
        self.low_pass.resize(n, 0.0);
        if self.ma1.len() == n {
            self.loess.smooth(&self.ma1, s, None, &mut self.low_pass);
        }
    }
}

/// Tukey's bisquare robustness weights of the remainders y − fit, with the scale
/// h = 6 × median|y − fit|. Returns h; when h is 0 every weight is 1.
fn robustness_weights(y: &[f64], fit: &[f64], rw: &mut [f64]) -> f64 {
    let n = y.len();
    for ((r, &yi), &fi) in rw.iter_mut().zip(y).zip(fit) {
        *r = (yi - fi).abs();
    }
    let mut sorted = rw.to_vec();
    if n == 0 {
        return 0.0;
    }
    let upper = n / 2;
    let lower = n - upper - 1;
    let (_, &mut hi, _) = sorted.select_nth_unstable_by(upper, f64::total_cmp);
    let lo = if lower == upper { hi } else { sorted[..upper].iter().copied().fold(f64::NEG_INFINITY, f64::max) };
    let cmad = 3.0 * (lo + hi);
    if cmad == 0.0 {
        rw.iter_mut().for_each(|r| *r = 1.0);
        return 0.0;
    }
    let c9 = 0.999 * cmad;
    let c1 = 0.001 * cmad;
    for r in rw.iter_mut() {
        *r = if *r <= c1 {
            1.0
        } else if *r <= c9 {
            let u = *r / cmad;
            let t = 1.0 - u * u;
            t * t
        } else {
            0.0
        };
    }
    cmad
}

/// Decomposes `y` (finite values; at least two of them) with `cfg`.
pub fn decompose(y: &[f64], cfg: &Config) -> Decomposition {
    let n = y.len();
    let period = cfg.period.max(1);
    let mut trend = vec![0.0; n];
    let mut seasonal = vec![0.0; n];
    let mut weights = vec![1.0; n];
    let mut weight_scale = 0.0;
    let mut first = FirstPass::default();
    let mut work = Work::default();
    let mut use_weights = false;
    let mut outer_done = 0;
    loop {
        for pass in 0..cfg.inner.max(1) {
            let rw = if use_weights { Some(weights.as_slice()) } else { None };
            if period >= 2 {
                work.detrended.clear();
                work.detrended.extend(y.iter().zip(&trend).map(|(a, b)| a - b));
                work.cycle_subseries(period, cfg.seasonal, rw);
                work.low_pass_filter(n, period, cfg.low_pass);
                for (i, (s, l)) in seasonal.iter_mut().zip(&work.low_pass).enumerate() {
                    *s = work.cycle.get(period + i).copied().unwrap_or(0.0) - l;
                }
            }
            work.deseasonalised.clear();
            work.deseasonalised.extend(y.iter().zip(&seasonal).map(|(a, b)| a - b));
            work.loess.smooth(&work.deseasonalised, cfg.trend, rw, &mut trend);
            if outer_done == 0 && pass == 0 {
                first = FirstPass {
                    cycle: work.cycle.clone(),
                    low_pass: work.low_pass.clone(),
                    seasonal: seasonal.clone(),
                    trend: trend.clone(),
                };
            }
        }
        outer_done += 1;
        if outer_done > cfg.outer {
            break;
        }
        let fit: Vec<f64> = trend.iter().zip(&seasonal).map(|(t, s)| t + s).collect();
        weight_scale = robustness_weights(y, &fit, &mut weights);
        use_weights = true;
    }
    if cfg.outer == 0 {
        weights.iter_mut().for_each(|w| *w = 1.0);
    }
    Decomposition { trend, seasonal, weights, weight_scale, first }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(period: usize) -> Config {
        let trend = {
            let t = (1.5 * period as f64 / (1.0 - 1.5 / 7.0)).ceil() as usize;
            t + usize::from(t % 2 == 0)
        };
        let low = period + 1 + usize::from((period + 1) % 2 == 0);
        Config {
            period,
            seasonal: Smoother { len: 7, degree: 1, jump: 1 },
            trend: Smoother { len: trend, degree: 1, jump: 1 },
            low_pass: Smoother { len: low, degree: 1, jump: 1 },
            inner: 5,
            outer: 0,
        }
    }

    #[test]
    fn a_constant_series_is_all_trend() {
        let y = vec![5.0; 50];
        let d = decompose(&y, &config(7));
        for i in 0..50 {
            assert!((d.trend[i] - 5.0).abs() < 1e-12 && d.seasonal[i].abs() < 1e-12, "{i}");
        }
    }

    #[test]
    fn an_exact_cycle_goes_to_the_seasonal_part() {
        let y: Vec<f64> = (0..96).map(|i| if i % 12 == 3 { 10.0 } else { 0.0 }).collect();
        let d = decompose(&y, &config(12));
        for (i, yi) in y.iter().enumerate() {
            let r = yi - d.trend[i] - d.seasonal[i];
            assert!(r.abs() < 1e-9, "{i}: remainder {r}");
        }
        // The seasonal part has (about) zero mean over a cycle; the trend carries the level.
        assert!((d.trend[48] - 10.0 / 12.0).abs() < 1e-9, "{}", d.trend[48]);
    }

    #[test]
    fn jumps_interpolate_between_fits() {
        let y: Vec<f64> = (0..40).map(|i| (i as f64 * 0.37).sin() * 3.0 + i as f64).collect();
        let mut loess = Loess::default();
        let mut exact = vec![0.0; 40];
        let mut jumped = vec![0.0; 40];
        loess.smooth(&y, Smoother { len: 9, degree: 1, jump: 1 }, None, &mut exact);
        loess.smooth(&y, Smoother { len: 9, degree: 1, jump: 4 }, None, &mut jumped);
        for i in (0..40).step_by(4) {
            assert!((exact[i] - jumped[i]).abs() < 1e-12, "{i}");
        }
        assert!((exact[39] - jumped[39]).abs() < 1e-12);
        assert!((jumped[2] - (jumped[0] + jumped[4]) / 2.0).abs() < 1e-12);
    }
}
