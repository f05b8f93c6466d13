//! Small, deterministic numerical tools for the methods that fit a model: a dense linear
//! solver for the few unknowns these models have, and a quasi-Newton minimiser (BFGS
//! with a backtracking line search) with a hard budget of iterations and evaluations.
//!
//! Nothing here allocates per evaluation beyond the caller's closure, nothing is random,
//! and every loop is bounded, so the same input always gives the same fit in the same
//! time.

/// Solves `a · x = b` for a dense `n × n` matrix stored row by row, by Gaussian
/// elimination with partial pivoting. `a` and `b` are overwritten; on success `b` holds
/// `x`. Returns `false` when the matrix is singular (a pivot below `1e-300` or not
/// finite) or the sizes do not match.
pub fn solve(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    if a.len() != n * n || b.len() != n {
        return false;
    }
    for col in 0..n {
        // Pivot: the largest magnitude in this column at or below the diagonal.
        let mut pivot = col;
        let mut best = a[col * n + col].abs();
        for row in col + 1..n {
            let v = a[row * n + col].abs();
            if v > best {
                best = v;
                pivot = row;
            }
        }
        if best.is_nan() || best <= 1e-300 || !best.is_finite() {
            return false;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(col * n + k, pivot * n + k);
            }
            b.swap(col, pivot);
        }
        let d = a[col * n + col];
        for row in col + 1..n {
            let factor = a[row * n + col] / d;
            if factor == 0.0 {
                continue;
            }
            for k in col..n {
                a[row * n + k] -= factor * a[col * n + k];
            }
            b[row] -= factor * b[col];
        }
    }
    for col in (0..n).rev() {
        let mut s = b[col];
        for k in col + 1..n {
            s -= a[col * n + k] * b[k];
        }
        b[col] = s / a[col * n + col];
    }
    b.iter().all(|v| v.is_finite())
}

/// Limits and tolerances of [`bfgs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The most quasi-Newton steps.
    pub max_iterations: usize,
    /// The most evaluations of the function (with its gradient), line searches included.
    pub max_evaluations: usize,
    /// Stop when every component of the gradient is below this in magnitude.
    pub gradient_tolerance: f64,
    /// Stop when a step improves the function by less than this, relative to |f| + 1.
    pub f_tolerance: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_iterations: 200, max_evaluations: 600, gradient_tolerance: 1e-9, f_tolerance: 1e-14 }
    }
}

/// The result of a minimisation: where it stopped, the value there, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub f: f64,
    pub iterations: usize,
    pub evaluations: usize,
    /// Whether a tolerance was met (rather than the budget running out or the line
    /// search failing to find a lower point).
    pub converged: bool,
}

/// Minimises `fg` from `x0` with BFGS. `fg(x, g)` returns f(x) and writes the gradient
/// into `g`; a non-finite f counts as "infinitely bad", so the line search backs away
/// from regions where the model breaks down. Deterministic and bounded by `opt`.
pub fn bfgs(mut fg: impl FnMut(&[f64], &mut [f64]) -> f64, x0: &[f64], opt: &Options) -> Minimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut f = fg(&x, &mut g);
    let mut evaluations = 1;
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Minimum { x, f, iterations: 0, evaluations, converged: false };
    }
    // Inverse Hessian approximation, row by row.
    let mut h = identity(n);
    let mut fresh = true;
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut d = vec![0.0; n];
    let mut s = vec![0.0; n];
    let mut y = vec![0.0; n];
    let mut hy = vec![0.0; n];
    let mut iterations = 0;
    let mut converged = false;
    while iterations < opt.max_iterations && evaluations < opt.max_evaluations {
        if g.iter().all(|v| v.abs() < opt.gradient_tolerance) {
            converged = true;
            break;
        }
        for i in 0..n {
            d[i] = -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>();
        }
        let mut slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            h = identity(n);
            fresh = true;
            for i in 0..n {
                d[i] = -g[i];
            }
            slope = -g.iter().map(|v| v * v).sum::<f64>();
        }
        // Backtracking line search with the Armijo condition. Without curvature
        // information yet, the first trial moves no parameter by more than 1.
        let g_inf = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut t = if fresh && g_inf > 1.0 { 1.0 / g_inf } else { 1.0 };
        let mut accepted = false;
        let mut f_new = f;
        for _ in 0..60 {
            if evaluations >= opt.max_evaluations {
                break;
            }
            for i in 0..n {
                x_new[i] = x[i] + t * d[i];
            }
            f_new = fg(&x_new, &mut g_new);
            evaluations += 1;
            if f_new.is_finite() && g_new.iter().all(|v| v.is_finite()) && f_new <= f + 1e-4 * t * slope {
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        iterations += 1;
        if !accepted {
            if fresh {
                // Even steepest descent finds no lower point: a (numerical) minimum.
                converged = g.iter().all(|v| v.abs() < opt.gradient_tolerance.sqrt());
                break;
            }
            h = identity(n);
            fresh = true;
            continue;
        }
        for i in 0..n {
            s[i] = x_new[i] - x[i];
            y[i] = g_new[i] - g[i];
        }
        let improvement = f - f_new;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        f = f_new;
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        let yy: f64 = y.iter().map(|v| v * v).sum();
        let ss: f64 = s.iter().map(|v| v * v).sum();
        if sy > 1e-12 * (ss * yy).sqrt() && sy > 0.0 {
            if fresh {
                // Scale the first approximation to the curvature just seen.
                h = identity(n);
                let scale = sy / yy;
                h.iter_mut().for_each(|v| *v *= scale);
                fresh = false;
            }
            // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, with ρ = 1 / sᵀy.
            let rho = 1.0 / sy;
            for i in 0..n {
                hy[i] = (0..n).map(|j| h[i * n + j] * y[j]).sum();
            }
            let yhy: f64 = y.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] += (1.0 + rho * yhy) * rho * s[i] * s[j] - rho * (hy[i] * s[j] + s[i] * hy[j]);
                }
            }
        }
        if improvement.abs() <= opt.f_tolerance * (f.abs() + 1.0) {
            converged = true;
            break;
        }
    }
    Minimum { x, f, iterations, evaluations, converged }
}

fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_system_with_pivoting() {
        // The first pivot is zero: the rows must be swapped.
        let mut a = vec![0.0, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0];
        let mut b = vec![7.0, 6.0, 13.0];
        assert!(solve(&mut a, &mut b, 3));
        for (got, want) in b.iter().zip([1.0, 2.0, 3.0]) {
            assert!((got - want).abs() < 1e-12, "{b:?}");
        }
        let mut singular = vec![1.0, 2.0, 2.0, 4.0];
        let mut rhs = vec![1.0, 2.0];
        assert!(!solve(&mut singular, &mut rhs, 2));
    }

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let m = bfgs(rosen, &[-1.2, 1.0], &Options::default());
        assert!(m.converged, "{m:?}");
        assert!((m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6, "{m:?}");
        assert!(m.evaluations <= Options::default().max_evaluations);
    }

    #[test]
    fn bfgs_stops_at_its_budget_and_survives_nan() {
        let opt = Options { max_iterations: 3, ..Options::default() };
        let m = bfgs(
            |x, g| {
                g[0] = 2.0 * x[0];
                if x[0] < -5.0 {
                    f64::NAN
                } else {
                    x[0] * x[0]
                }
            },
            &[100.0],
            &opt,
        );
        assert!(m.iterations <= 3 && m.f.is_finite());
    }
}
