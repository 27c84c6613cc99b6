//! Statistics for the canary judge, which compares the new version with the old while both take
//! traffic: an exact binomial test for errors, Mann-Whitney U for latency, and the median.
//! Pure functions: no I/O, and no panic on any input (NaN, empty, zero or huge counts).

use std::f64::consts::{PI, SQRT_2};

/// Above this many trials the binomial tail uses the normal approximation: the log-space terms
/// lose precision and the sum would need too many of them.
const EXACT_TRIALS: u64 = 1_000_000_000;
/// A bound on the terms summed; at `EXACT_TRIALS` about 9 standard deviations (~150,000) suffice.
const MAX_TERMS: u64 = 1_000_000;
/// Largest sample on each side for which Mann-Whitney's exact distribution is computed.
const EXACT_SAMPLE: usize = 50;

/// P(X ≥ k) for X ~ Binomial(n, p).
///
/// For the errors: of `n` errors in both versions, `k` in the new one, whose share of requests is
/// `p`. With no difference, the new version's errors follow Binomial(n, p), so this is the
/// one-sided p-value. Terms are summed in log space from `k` away from the mode, where they only
/// shrink, until negligible: at most ~9 standard deviations of them. About 1e-7 relative error
/// up to n = 10^7; above 10^9 trials, the normal approximation. `k > n` gives 0 whatever `p`;
/// a NaN `p` gives 1 (no evidence).
pub fn binomial_upper_tail(n: u64, k: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    if p.is_nan() || p >= 1.0 {
        return 1.0;
    }
    if p <= 0.0 {
        return 0.0;
    }
    let (nf, q) = (n as f64, 1.0 - p);
    if n > EXACT_TRIALS {
        return normal_sf((k as f64 - 0.5 - nf * p) / (nf * p * q).sqrt());
    }
    let odds = p / q;
    let (mut sum, mut term) = (1.0_f64, 1.0_f64);
    if k as f64 >= (nf + 1.0) * p {
        // At or above the mode: terms fall from k upward.
        let mut i = k;
        while i < n && i - k < MAX_TERMS && term > sum * 1e-17 {
            term *= (n - i) as f64 / (i + 1) as f64 * odds;
            sum += term;
            i += 1;
        }
        (ln_pmf(n, k, p) + sum.ln()).exp().min(1.0)
    } else {
        // Below the mode: 1 - P(X ≤ k - 1), with terms falling from k - 1 downward.
        let mut j = k - 1;
        while j > 0 && k - 1 - j < MAX_TERMS && term > sum * 1e-17 {
            term *= j as f64 / (n - j + 1) as f64 / odds;
            sum += term;
            j -= 1;
        }
        (1.0 - (ln_pmf(n, k - 1, p) + sum.ln()).exp()).max(0.0)
    }
}

/// ln P(X = k) for X ~ Binomial(n, p), with 0 < p < 1 and k ≤ n.
fn ln_pmf(n: u64, k: u64, p: f64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
        + k as f64 * p.ln()
        + (n - k) as f64 * (-p).ln_1p()
}

/// ln(n!): an exact product below 20, Stirling's series above (truncated below 1e-19).
fn ln_factorial(n: u64) -> f64 {
    if n < 20 {
        return (2..=n).map(|i| i as f64).product::<f64>().ln();
    }
    let x = n as f64 + 1.0;
    let r = 1.0 / (x * x);
    let series = (1.0 / 12.0
        - r * (1.0 / 360.0
            - r * (1.0 / 1260.0
                - r * (1.0 / 1680.0 - r * (1.0 / 1188.0 - r * 691.0 / 360_360.0)))))
        / x;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * PI).ln() + series
}

/// P(Z > z) for a standard normal Z.
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / SQRT_2)
}

/// The complementary error function, to about 1e-13 relative: a series of positive terms below
/// 2, a continued fraction (Lentz's method) above.
fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 27.0 {
        return 0.0; // below the smallest f64
    }
    if x < 2.0 {
        // erf(x) = 2/√π · e^(-x²) · Σ 2^j x^(2j+1) / (1·3·…·(2j+1))
        let (mut term, mut sum, mut j) = (x, x, 0.0);
        while term > sum * 1e-17 {
            j += 1.0;
            term *= 2.0 * x * x / (2.0 * j + 1.0);
            sum += term;
        }
        return 1.0 - 2.0 / PI.sqrt() * (-x * x).exp() * sum;
    }
    // erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))))
    let (mut f, mut c, mut d) = (x, x, 0.0);
    for j in 1..300 {
        let a = f64::from(j) / 2.0;
        d = 1.0 / (x + a * d);
        c = x + a / c;
        f *= c * d;
        if (c * d - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / PI.sqrt() / f
}

/// A one-sided Mann-Whitney test: `u` counts the (new, old) pairs where new is larger, a tie
/// counting half; `p` is the chance of a `u` this large or larger with no difference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    pub u: f64,
    pub p: f64,
}

/// Mann-Whitney U test of whether `new` tends to be larger than `old` (one-sided), e.g. per-minute
/// latencies. The p-value is exact when there are no ties and neither side has more than 50
/// values; otherwise it is the normal approximation with tie and continuity corrections. Matches
/// scipy's `mannwhitneyu(new, old, alternative="greater")`. `None` when a side is empty or a value
/// is not finite.
///
/// The smallest exact p-value is 1/C(m+n, m): with 8 minutes a side it is 1/12870 ≈ 7.8e-5, so
/// p < 0.001 is reachable; with 5 a side it is 1/252 ≈ 0.004, which is why the judge needs at
/// least 8.
pub fn mann_whitney_greater(new: &[f64], old: &[f64]) -> Option<MannWhitney> {
    if new.is_empty() || old.is_empty() || !new.iter().chain(old).all(|v| v.is_finite()) {
        return None;
    }
    let mut all: Vec<(f64, bool)> = new.iter().map(|&v| (v, true)).collect();
    all.extend(old.iter().map(|&v| (v, false)));
    all.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // The rank sum of `new` (tied values share their average rank), and Σ(t³ - t) over ties.
    let (mut rank_sum, mut ties, mut start) = (0.0, 0.0, 0);
    while start < all.len() {
        let value = all[start].0;
        let len = all[start..].iter().take_while(|e| e.0 == value).count();
        let news = all[start..start + len].iter().filter(|e| e.1).count();
        let t = len as f64;
        rank_sum += news as f64 * (2 * start + len + 1) as f64 / 2.0;
        ties += t * t * t - t;
        start += len;
    }
    let (m, n) = (new.len() as f64, old.len() as f64);
    let u = rank_sum - m * (m + 1.0) / 2.0;
    let p = if ties == 0.0 && new.len() <= EXACT_SAMPLE && old.len() <= EXACT_SAMPLE {
        exact_upper(new.len(), old.len(), u.round() as usize)
    } else {
        let total = m + n;
        let var = m * n / 12.0 * (total + 1.0 - ties / (total * (total - 1.0)));
        if var > 0.0 {
            normal_sf((u - m * n / 2.0 - 0.5) / var.sqrt())
        } else {
            1.0 // every value tied: no evidence either way
        }
    };
    let p = p.clamp(0.0, 1.0);
    Some(MannWhitney { u, p })
}

/// P(U ≥ u) with no difference, for samples of `m` and `n`. The counts of each U are the
/// coefficients of the Gaussian binomial Π_{i=1..m} (1 - q^(n+i)) / (1 - q^i), built one factor
/// at a time. By symmetry P(U ≥ u) = P(U ≤ mn - u): the small counts of the tail stay exact
/// integers, so the smallest p-values are exact.
fn exact_upper(m: usize, n: usize, u: usize) -> f64 {
    let mut counts = vec![0.0_f64; m * n + 1];
    counts[0] = 1.0;
    for i in 1..=m {
        let degree = i * n;
        for j in i..=degree {
            counts[j] += counts[j - i]; // ÷ (1 - q^i)
        }
        for j in (n + i..=degree).rev() {
            counts[j] -= counts[j - n - i]; // × (1 - q^(n+i))
        }
    }
    let total: f64 = counts.iter().sum();
    let at_most: f64 = counts[..=(m * n).saturating_sub(u)].iter().sum();
    at_most / total
}

/// The median of the finite values (the mean of the middle two when their count is even);
/// non-finite values are left out. `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let len = finite.len();
    if len == 0 {
        return None;
    }
    let (below, &mut mid, _) = finite.select_nth_unstable_by(len / 2, f64::total_cmp);
    if len % 2 == 1 {
        return Some(mid);
    }
    let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(lower / 2.0 + mid / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(got: f64, want: f64, rel: f64) {
        let close = (got - want).abs() <= rel * want.abs();
        assert!(close, "got {got:e}, want {want:e}");
    }

    #[test]
    fn binomial_rule_reference_values() {
        // Share 0.1: 2 new / 0 old, 3 new / 0 old, 3 new / 5 old (exact: 0.0380917900).
        assert_close(binomial_upper_tail(2, 2, 0.1), 0.01, 1e-6);
        assert_close(binomial_upper_tail(3, 3, 0.1), 0.001, 1e-6);
        assert_close(binomial_upper_tail(8, 3, 0.1), 0.038_091_79, 1e-6);
    }

    #[test]
    fn binomial_large_counts() {
        // Exact: Python, Σ math.comb(n, i)·num^i·(den−num)^(n−i) / den^n over the tail with
        // integers only (n = 10^6: 1 − the lower sum). n = 10^7: 60-digit `decimal` sum of the
        // terms from an exact first term (math.comb), by the term ratio, until negligible.
        let cases = [
            (8_000, 41, 0.001, 1.230_824_551_961_968e-16),
            (8_000, 850, 0.1, 3.338_712_766_809_781e-2),
            (8_000, 760, 0.1, 9.352_273_251_125_584e-1),
            (1_000_000, 130, 1e-4, 2.281_008_846_243_198e-3),
            (1_000_000, 90, 1e-4, 8.536_662_201_054_457e-1),
            (10_000_000, 3_002_000, 0.3, 8.383_265_881_328_677e-2),
            (10_000_000, 2_998_000, 0.3, 9.162_863_696_393_299e-1),
            (10_000_000, 3_010_000, 0.3, 2.633_825_180_954_79e-12),
        ];
        for (n, k, p, want) in cases {
            assert_close(binomial_upper_tail(n, k, p), want, 1e-6);
        }
        // Far below the mean (800): 1 − P(X ≤ 40), where P(X ≤ 40) ≈ 1e-296 (Python, exact).
        assert_eq!(binomial_upper_tail(8_000, 41, 0.1), 1.0);
    }

    #[test]
    fn binomial_edges_never_panic() {
        assert_eq!(binomial_upper_tail(0, 0, f64::NAN), 1.0);
        assert_eq!(binomial_upper_tail(5, 6, 0.5), 0.0);
        assert_eq!(binomial_upper_tail(5, 1, 0.0), 0.0);
        assert_eq!(binomial_upper_tail(5, 1, 1.0), 1.0);
        assert_eq!(binomial_upper_tail(5, 1, f64::NAN), 1.0);
        assert_close(binomial_upper_tail(5, 5, 0.5), 1.0 / 32.0, 1e-12);
        for (k, p) in [
            (1, 1e-300),
            (u64::MAX / 2, 0.5),
            (u64::MAX, 1e-12),
            (3, 0.9),
        ] {
            let v = binomial_upper_tail(u64::MAX, k, p);
            assert!((0.0..=1.0).contains(&v), "{k} {p}: {v}");
        }
        assert_close(binomial_upper_tail(u64::MAX, u64::MAX / 2, 0.5), 0.5, 1e-6);
    }

    #[test]
    fn erfc_matches_python() {
        // Python: math.erfc.
        let cases = [
            (0.5, 0.479_500_122_186_953_5),
            (1.9, 7.209_570_764_742_532_5e-3),
        ];
        for (x, want) in cases
            .into_iter()
            .chain([(6.0, 2.151_973_671_249_891_6e-17)])
        {
            assert_close(erfc(x), want, 1e-13);
        }
    }

    fn check(new: &[f64], old: &[f64], u: f64, p: f64) {
        let got = mann_whitney_greater(new, old).unwrap();
        assert_eq!(got.u, u);
        assert_close(got.p, p, 1e-6);
    }

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy 1.17.1: mannwhitneyu(new, old, alternative="greater", method=…) (continuity on).
        let seq = |len: usize, mul: usize, modulus: usize, add: f64| -> Vec<f64> {
            (0..len).map(|i| (i * mul % modulus) as f64 + add).collect()
        };
        // Exact (no ties, at most 50 a side). Fully separated 8 v 8: p = 1/C(16, 8).
        let (high, low) = (seq(8, 1, 8, 10.0), seq(8, 1, 8, 1.0));
        check(&high, &low, 64.0, 1.0 / 12870.0);
        check(&low, &high, 0.0, 1.0);
        let a = [3.1, 4.7, 5.2, 6.8, 7.5, 8.9, 9.4, 2.2];
        let b = [1.5, 2.9, 3.8, 4.1, 5.9, 6.3, 7.1, 8.2];
        check(&a, &b, 40.0, 0.220_901_320_901_320_86);
        let c = [1.5, 2.9, 3.8, 4.1, 5.9, 6.3, 7.1, 0.2]; // new smaller
        check(&c, &a, 18.0, 0.934_809_634_809_634_9);
        let d = [
            12.0, 15.5, 9.1, 20.3, 18.2, 11.7, 14.4, 16.9, 13.3, 22.8, 10.6, 17.4,
        ];
        let e = [8.0, 9.5, 12.9, 10.1, 11.2, 7.7, 14.0, 13.6, 9.9];
        check(&d, &e, 89.0, 0.005_878_950_770_591_637);
        let (g30, g40) = (seq(30, 37, 101, 0.5), seq(40, 53, 103, 0.0));
        check(&g30, &g40, 618.0, 0.418_268_799_489_113_9);
        let shifted: Vec<f64> = g30.iter().map(|v| v + 40.0).collect();
        check(&shifted, &g40, 984.0, 9.206_784_143_561_519e-7);
        // 50 a side, fully separated: 1/C(100, 50), exact to more than 1e-6.
        let (high, low) = (seq(50, 1, 50, 100.0), seq(50, 1, 50, 0.0));
        check(&high, &low, 2500.0, 9.911_653_021_418_343e-30);
        // Asymptotic: ties, or more than 50 a side.
        let f = [5.0, 6.0, 6.0, 7.0, 8.0, 8.0, 8.0, 9.0];
        let g = [4.0, 5.0, 5.0, 6.0, 6.0, 7.0, 7.0, 8.0];
        check(&f, &g, 46.5, 0.066_608_884_277_568_88);
        let h = [100.0, 120.0, 120.0, 130.0, 150.0];
        let i = [100.0, 100.0, 110.0, 120.0, 125.0, 130.0, 90.0];
        check(&h, &i, 24.5, 0.141_723_305_416_116_94);
        let (g60, g55) = (seq(60, 37, 101, 10.5), seq(55, 53, 103, 0.0));
        check(&g60, &g55, 2052.0, 0.012_289_101_485_500_598);
    }

    #[test]
    fn mann_whitney_edges() {
        assert_eq!(mann_whitney_greater(&[], &[1.0]), None);
        assert_eq!(mann_whitney_greater(&[1.0], &[f64::NAN]), None);
        assert_eq!(mann_whitney_greater(&[f64::INFINITY], &[1.0]), None);
        let all_tied = mann_whitney_greater(&[2.0; 60], &[2.0; 60]).unwrap();
        assert_eq!((all_tied.u, all_tied.p), (1800.0, 1.0));
    }

    #[test]
    fn median_of_finite_values() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, f64::INFINITY]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, f64::NAN, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::MAX, f64::MAX]), Some(f64::MAX));
    }
}
