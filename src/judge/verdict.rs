//! The canary judge's rules: the new version against the old, over the minutes in which both took
//! traffic. Errors by an exact binomial test, latency by Mann-Whitney U over the per-minute p99s,
//! each needing a significant *and* large difference; and where the data cannot say, it says so
//! (`inconclusive`) instead of guessing. Every verdict carries the numbers behind it.

use serde::Serialize;

use super::stats::{binomial_upper_tail, mann_whitney_greater, median};
use crate::time::Time;

/// Fewer requests than this on the new version make no `pass`.
pub const MIN_NEW_REQUESTS: f64 = 300.0;
/// Fewer errors than this on the new version make no `fail`.
const MIN_NEW_ERRORS: f64 = 5.0;
/// Minutes of p99 a side the latency test needs: with fewer, no ordering reaches p < 0.001
/// (8 a side: at best 1/12870).
pub const MIN_LATENCY_MINUTES: usize = 8;
/// A minute's p99 counts for the latency test only when its version took this many requests in
/// it: a p99 of a few requests is close to their maximum, and would make a small canary look
/// slower than a large baseline with the same code.
const MIN_P99_REQUESTS: f64 = 100.0;
/// An error rate at which a version counts as degraded.
const DEGRADED_RATE: f64 = 0.05;
/// How far the versions' counts may fall short of, or exceed, the alias's own.
const COUNT_TOLERANCE: f64 = 0.1;

/// One version's traffic in one minute, as CloudWatch gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Requests (Lambda `Invocations`, ALB `RequestCount`); `None`: no datapoint.
    pub requests: Option<f64>,
    /// Errors (`Errors`, `HTTPCode_Target_5XX_Count`); no datapoint in a minute with requests: 0.
    pub errors: Option<f64>,
    /// The p99 latency, in milliseconds.
    pub p99_ms: Option<f64>,
}

/// One minute of both versions, and the whole's own request count where there is one (a Lambda
/// alias's own `Invocations`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Minute {
    pub at: Time,
    pub new: Sample,
    pub old: Sample,
    pub total: Option<f64>,
}

/// What the judge says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

impl Verdict {
    /// As reports and records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// Its count's metric.
    pub fn metric(self) -> &'static str {
        match self {
            Verdict::Pass => "JudgePass",
            Verdict::Fail => "JudgeFail",
            Verdict::Inconclusive => "JudgeInconclusive",
        }
    }
}

/// One version's totals over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub requests: f64,
    pub errors: f64,
    /// Errors per request.
    pub error_rate: f64,
}

/// The latency test's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Latency {
    pub new_median_p99_ms: f64,
    pub old_median_p99_ms: f64,
    pub new_minutes: usize,
    pub old_minutes: usize,
    pub u: f64,
    pub p: f64,
}

/// A verdict with every number behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Canary {
    pub verdict: Verdict,
    pub reason: String,
    /// The first and last minute both versions took traffic in.
    pub window: Option<(Time, Time)>,
    pub minutes: usize,
    pub new: Totals,
    pub old: Totals,
    /// The new version's share of the requests.
    pub new_share: f64,
    /// The errors test's one-sided p-value.
    pub errors_p: Option<f64>,
    pub latency: Option<Latency>,
    /// The first minute the new version erred at twice the old's rate, or more.
    pub first_bad_minute: Option<Time>,
}

/// Judges the `minutes` at significance `p_max` (`JUDGE_P`).
pub fn judge(minutes: &[Minute], p_max: f64) -> Canary {
    let both: Vec<&Minute> = (minutes.iter())
        .filter(|m| m.new.requests.unwrap_or(0.0) > 0.0 && m.old.requests.unwrap_or(0.0) > 0.0)
        .collect();
    let mut judgement = Canary {
        verdict: Verdict::Inconclusive,
        reason: String::new(),
        window: both.first().zip(both.last()).map(|(a, b)| (a.at, b.at)),
        minutes: both.len(),
        new: totals(both.iter().map(|m| m.new)),
        old: totals(both.iter().map(|m| m.old)),
        new_share: 0.0,
        errors_p: None,
        latency: None,
        first_bad_minute: first_bad(&both),
    };
    if both.is_empty() {
        judgement.reason = "no minute in which both versions took traffic (an all-at-once \
                            deployment, or one that has not shifted any yet)"
            .into();
        return judgement;
    }
    if let Some(why) = unaccounted(&both) {
        judgement.reason = why;
        return judgement;
    }
    let (new, old) = (judgement.new, judgement.old);
    judgement.new_share = new.requests / (new.requests + old.requests);
    let p = binomial_upper_tail(
        (new.errors + old.errors).round() as u64,
        new.errors.round() as u64,
        judgement.new_share,
    );
    judgement.errors_p = Some(p);
    judgement.latency = latency(&both);
    decide(judgement, p_max)
}

/// The verdict from the numbers: a significant and large difference fails; versions degraded
/// alike, or too little traffic, are inconclusive; else it passes.
fn decide(mut judgement: Canary, p_max: f64) -> Canary {
    let (new, old) = (judgement.new, judgement.old);
    let p = judgement.errors_p.unwrap_or(1.0);
    let errors_fail = p < p_max
        && new.error_rate >= 2.0 * old.error_rate
        && new.error_rate >= old.error_rate + 0.01
        && new.errors >= MIN_NEW_ERRORS;
    let latency_fail = judgement.latency.filter(|l| {
        l.p < p_max
            && l.new_median_p99_ms >= 1.5 * l.old_median_p99_ms
            && l.new_median_p99_ms >= l.old_median_p99_ms + 50.0
    });
    let errors = errors_text(new, old, p);
    let (verdict, reason) = if errors_fail {
        (Verdict::Fail, errors)
    } else if let Some(l) = latency_fail {
        (Verdict::Fail, latency_text(&l))
    } else if new.error_rate >= DEGRADED_RATE && old.error_rate >= DEGRADED_RATE {
        let why = format!(
            "both versions are degraded alike ({errors}): a shared dependency, not the new code"
        );
        (Verdict::Inconclusive, why)
    } else if new.requests < MIN_NEW_REQUESTS {
        let why = format!(
            "only {} requests reached the new version ({} needed to pass); {errors}",
            count(new.requests),
            count(MIN_NEW_REQUESTS)
        );
        (Verdict::Inconclusive, why)
    } else {
        let latency = judgement.latency.map_or_else(
            || format!("latency not judged (fewer than {MIN_LATENCY_MINUTES} minutes a side)"),
            |l| latency_text(&l),
        );
        (Verdict::Pass, format!("{errors}; {latency}"))
    };
    judgement.verdict = verdict;
    judgement.reason = reason;
    judgement
}

/// Why the per-version counts cannot be trusted, if they cannot: a minute with the whole's own
/// count they fall more than [`COUNT_TOLERANCE`] short of, or over.
fn unaccounted(both: &[&Minute]) -> Option<String> {
    both.iter().find_map(|m| {
        let total = m.total?;
        let parts = m.new.requests.unwrap_or(0.0) + m.old.requests.unwrap_or(0.0);
        ((parts - total).abs() > COUNT_TOLERANCE * total.max(1.0)).then(|| {
            format!(
                "at {}, the versions' requests ({}) do not add up to the whole's own ({}): \
                 per-version data missing",
                m.at,
                count(parts),
                count(total)
            )
        })
    })
}

fn totals(samples: impl Iterator<Item = Sample>) -> Totals {
    let (requests, errors) = samples.fold((0.0, 0.0), |(r, e), s| {
        (r + s.requests.unwrap_or(0.0), e + s.errors.unwrap_or(0.0))
    });
    // Counts, as the tests and the reason take them.
    let (requests, errors): (f64, f64) = (requests.round(), errors.round());
    let error_rate = if requests > 0.0 {
        errors / requests
    } else {
        0.0
    };
    Totals {
        requests,
        errors,
        error_rate,
    }
}

/// The p99s of the minutes both versions took traffic in, each of at least [`MIN_P99_REQUESTS`]
/// (the new version's first left out: cold starts), when each side has [`MIN_LATENCY_MINUTES`].
fn latency(both: &[&Minute]) -> Option<Latency> {
    let with = |pick: fn(&Minute) -> Sample| -> Vec<f64> {
        (both.iter())
            .map(|m| pick(m))
            .filter(|s| s.requests.unwrap_or(0.0) >= MIN_P99_REQUESTS)
            .filter_map(|s| s.p99_ms)
            .collect()
    };
    // The new version's first minute left out: cold starts.
    let new: Vec<f64> = with(|m| m.new).into_iter().skip(1).collect();
    let old = with(|m| m.old);
    if new.len() < MIN_LATENCY_MINUTES || old.len() < MIN_LATENCY_MINUTES {
        return None;
    }
    let test = mann_whitney_greater(&new, &old)?;
    Some(Latency {
        new_median_p99_ms: median(&new)?,
        old_median_p99_ms: median(&old)?,
        new_minutes: new.len(),
        old_minutes: old.len(),
        u: test.u,
        p: test.p,
    })
}

fn first_bad(both: &[&Minute]) -> Option<Time> {
    let rate = |s: &Sample| s.errors.unwrap_or(0.0) / s.requests.unwrap_or(0.0).max(1.0);
    (both.iter())
        .find(|m| m.new.errors.unwrap_or(0.0) > 0.0 && rate(&m.new) >= 2.0 * rate(&m.old))
        .map(|m| m.at)
}

/// `new version 5.1 % errors (41 of 800) vs 0.11 % (8 of 7,200), p < 1e-9`.
fn errors_text(new: Totals, old: Totals, p: f64) -> String {
    format!(
        "new version {} errors ({} of {}) vs {} ({} of {}), {}",
        percent(new.error_rate),
        count(new.errors),
        count(new.requests),
        percent(old.error_rate),
        count(old.errors),
        count(old.requests),
        p_text(p)
    )
}

fn latency_text(l: &Latency) -> String {
    format!(
        "new version p99 {:.0} ms (median of {} minutes) vs {:.0} ms ({} minutes), {}",
        l.new_median_p99_ms,
        l.new_minutes,
        l.old_median_p99_ms,
        l.old_minutes,
        p_text(l.p)
    )
}

fn p_text(p: f64) -> String {
    match p {
        p if p < 1e-9 => "p < 1e-9".into(),
        p if p < 0.001 => format!("p = {p:.1e}"),
        p => format!("p = {p:.3}"),
    }
}

fn percent(rate: f64) -> String {
    match rate * 100.0 {
        0.0 => "0 %".into(),
        r if r < 1.0 => format!("{r:.2} %"),
        r => format!("{r:.1} %"),
    }
}

/// A count with thousands separated: `7,200`.
fn count(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: f64 = 0.001;

    fn minute(i: i64, new: (f64, f64, f64), old: (f64, f64, f64)) -> Minute {
        let sample = |(requests, errors, p99_ms): (f64, f64, f64)| Sample {
            requests: Some(requests),
            errors: Some(errors),
            p99_ms: Some(p99_ms),
        };
        Minute {
            at: Time::from_millis(1_796_000_000_000 + i * 60_000),
            new: sample(new),
            old: sample(old),
            total: Some(new.0 + old.0),
        }
    }

    /// Ten minutes of a 10 % canary: `new` and `old` each minute.
    fn canary(new: (f64, f64, f64), old: (f64, f64, f64)) -> Vec<Minute> {
        (0..10).map(|i| minute(i, new, old)).collect()
    }

    #[test]
    fn a_bad_canary_fails_with_the_numbers_a_person_can_act_on() {
        // 41 of 800 against 8 of 7,200: the issue's own example.
        let j = judge(&canary((80.0, 4.1, 200.0), (720.0, 0.8, 200.0)), P);
        assert_eq!(j.verdict, Verdict::Fail, "{}", j.reason);
        assert_eq!(
            j.reason,
            "new version 5.1 % errors (41 of 800) vs 0.11 % (8 of 7,200), p < 1e-9"
        );
        assert_eq!(
            (j.minutes, j.window.map(|w| w.0)),
            (10, Some(minute(0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)).at))
        );
        assert_eq!(j.first_bad_minute, j.window.map(|w| w.0));
    }

    #[test]
    fn a_healthy_canary_passes_and_says_what_it_compared() {
        let j = judge(&canary((120.0, 0.1, 200.0), (720.0, 0.8, 205.0)), P);
        assert_eq!(j.verdict, Verdict::Pass, "{}", j.reason);
        assert!(j.reason.contains("(1 of 1,200)"), "{}", j.reason);
        assert!(j.latency.is_some(), "ten minutes a side: latency judged");
    }

    #[test]
    fn each_rule_of_a_fail_holds_on_its_own() {
        // Fewer than 5 errors: 4 of 400 against none of 3,600 is significant, twice the rate
        // and a point above it, yet no fail.
        let few = judge(&canary((40.0, 0.4, 200.0), (360.0, 0.0, 200.0)), P);
        assert!(few.errors_p.unwrap() < P, "{few:?}");
        assert_ne!(few.verdict, Verdict::Fail, "{}", few.reason);
        // Less than a point above: 0.5 % against 0.1 %, five times the rate.
        let small = judge(&canary((800.0, 4.0, 200.0), (7200.0, 7.2, 200.0)), P);
        assert!(small.errors_p.unwrap() < P, "{small:?}");
        assert_eq!(small.verdict, Verdict::Pass, "{}", small.reason);
        // Less than twice the rate: 3 % against 2 %, a point above.
        let mild = judge(&canary((800.0, 24.0, 200.0), (7200.0, 144.0, 200.0)), P);
        assert!(mild.errors_p.unwrap() < P, "{mild:?}");
        assert_eq!(mild.verdict, Verdict::Pass, "{}", mild.reason);
    }

    #[test]
    fn a_small_canarys_p99_is_not_compared_with_a_large_baselines() {
        // 80 requests a minute: each p99 is about their slowest; never a latency fail.
        let j = judge(&canary((80.0, 0.0, 400.0), (720.0, 0.0, 200.0)), P);
        assert_eq!(j.latency, None);
        assert_ne!(j.verdict, Verdict::Fail, "{}", j.reason);
    }

    #[test]
    fn a_slower_canary_fails_on_latency_but_not_its_cold_first_minute() {
        let mut minutes = canary((120.0, 0.0, 400.0), (720.0, 0.0, 200.0));
        let j = judge(&minutes, P);
        assert_eq!(j.verdict, Verdict::Fail, "{}", j.reason);
        assert!(
            j.reason.starts_with("new version p99 400 ms"),
            "{}",
            j.reason
        );
        // Only its first minute slow: a cold start, left out.
        minutes = canary((120.0, 0.0, 200.0), (720.0, 0.0, 200.0));
        minutes[0].new.p99_ms = Some(3000.0);
        let j = judge(&minutes, P);
        assert_eq!(j.verdict, Verdict::Pass);
        let latency = j.latency.expect("ten minutes a side");
        assert_eq!((latency.new_minutes, latency.old_minutes), (9, 10));
        assert_eq!(
            latency.new_median_p99_ms, 200.0,
            "the cold minute is not in the median"
        );
    }

    #[test]
    fn what_the_data_cannot_say_is_inconclusive() {
        let low = judge(&canary((20.0, 0.0, 200.0), (720.0, 0.0, 200.0)), P);
        assert_eq!(low.verdict, Verdict::Inconclusive);
        assert!(
            low.reason.starts_with("only 200 requests"),
            "{}",
            low.reason
        );
        let mut all_at_once = canary((800.0, 0.0, 200.0), (0.0, 0.0, 0.0));
        for m in &mut all_at_once {
            m.old.requests = None;
        }
        let j = judge(&all_at_once, P);
        assert_eq!(j.verdict, Verdict::Inconclusive);
        assert!(
            j.reason.starts_with("no minute in which both"),
            "{}",
            j.reason
        );
        let alike = judge(&canary((80.0, 8.0, 200.0), (720.0, 72.0, 200.0)), P);
        assert_eq!(alike.verdict, Verdict::Inconclusive);
        assert!(alike.reason.contains("degraded alike"), "{}", alike.reason);
        let mut missing = canary((80.0, 0.0, 200.0), (720.0, 0.0, 200.0));
        missing[3].total = Some(2000.0);
        let j = judge(&missing, P);
        assert_eq!(j.verdict, Verdict::Inconclusive);
        assert!(j.reason.contains("do not add up"), "{}", j.reason);
    }

    #[test]
    fn counts_and_rates_are_written_as_people_read_them() {
        assert_eq!(count(7200.0), "7,200");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(800.0), "800");
        assert_eq!(percent(0.0011), "0.11 %");
        assert_eq!(percent(0.05125), "5.1 %");
        assert_eq!(p_text(0.038), "p = 0.038");
        assert_eq!(p_text(0.0001234), "p = 1.2e-4");
    }
}
