//! CloudWatch metrics: the datapoints of every account and region ([`MetricPoint`], made with a
//! [`Metric`]), and their aggregation into a statistic per period as `GetMetricData` answers
//! it ([`metric_data`](crate::metric_data) serves the call; `ListMetrics`, which lists the
//! metrics with recent datapoints, is served by `list_metrics`).
//!
//! A datapoint is either a raw sample (`value`), or a minute's statistics computed beforehand
//! (`stats`: `{"Sum": 41, "SampleCount": 12, "p99": 812.0}`), for percentiles the fake cannot
//! know from a few samples. A period's statistic is computed from the raw samples in it; a
//! period holding one minute's `stats` answers the statistic that map gives (none: no
//! datapoint); a period holding several minutes' `stats` (or `stats` and samples) combines
//! `Sum`, `SampleCount`, `Minimum`, `Maximum` and (from `Sum` and `SampleCount`) `Average`, and
//! refuses percentiles, which cannot be combined.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::{epoch_seconds, own_account, FakeAws, ACCOUNT};

/// One datapoint of a metric: a raw sample (`value`) or a minute's statistics (`stats`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(try_from = "PointFields")]
pub struct MetricPoint {
    pub account: String,
    pub region: String,
    pub namespace: String,
    /// The metric's name (`MetricName`).
    pub name: String,
    /// Its dimensions: a query matches only the same set.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    /// Its unit (`Count`, `Milliseconds`, …); `None`: CloudWatch's `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// When, in seconds since the epoch.
    pub timestamp: f64,
    /// A raw sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Or the minute's statistics, by name (`Sum`, `SampleCount`, `Average`, `Minimum`,
    /// `Maximum`, `p99`, `p99.9`, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stats: BTreeMap<String, f64>,
}

/// A datapoint as a seed writes it, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointFields {
    #[serde(default = "own_account")]
    account: String,
    region: String,
    namespace: String,
    name: String,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    #[serde(default)]
    unit: Option<String>,
    timestamp: f64,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    stats: BTreeMap<String, f64>,
}

impl TryFrom<PointFields> for MetricPoint {
    type Error = String;

    fn try_from(f: PointFields) -> Result<Self, String> {
        let point = MetricPoint {
            account: f.account,
            region: f.region,
            namespace: f.namespace,
            name: f.name,
            dimensions: f.dimensions,
            unit: f.unit,
            timestamp: f.timestamp,
            value: f.value,
            stats: f.stats,
        };
        point.check()?;
        Ok(point)
    }
}

impl MetricPoint {
    /// Whether the datapoint is one CloudWatch could hold: a sample or statistics (not both),
    /// statistics CloudWatch names, a known unit.
    fn check(&self) -> Result<(), String> {
        let what = format!("the datapoint of {} at {}", self.name, self.timestamp);
        let readings = usize::from(self.value.is_some()) + usize::from(!self.stats.is_empty());
        if readings != 1 {
            return Err(format!("{what} needs either a value or stats"));
        }
        let numbers = self.value.iter().chain(self.stats.values());
        if !self.timestamp.is_finite() || numbers.clone().any(|n| !n.is_finite()) {
            return Err(format!("{what} is not a finite number"));
        }
        if let Some(bad) = self.stats.keys().find(|k| Statistic::parse(k).is_none()) {
            return Err(format!(
                "{what}: `{bad}` is not a statistic CloudWatch computes"
            ));
        }
        if let Some(bad) = self.unit.as_deref().filter(|u| !UNITS.contains(u)) {
            return Err(format!("{what}: `{bad}` is not a CloudWatch unit"));
        }
        Ok(())
    }

    pub(crate) fn is_in(&self, account: &str, region: &str) -> bool {
        self.account == account && self.region == region
    }
}

/// CloudWatch's units (`StandardUnit`).
pub(crate) const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// A reading of a metric at one time.
#[derive(Clone, Debug, PartialEq)]
enum Reading {
    Value(f64),
    Stats(BTreeMap<String, f64>),
}

/// A metric and its readings, to add with [`FakeAws::put_metric`]:
/// `Metric::new(region, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count")
/// .dimension("TargetGroup", &group.dimension()).minute(time, &[("Sum", 3.0)])`.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    account: String,
    region: String,
    namespace: String,
    name: String,
    dimensions: BTreeMap<String, String>,
    unit: Option<String>,
    readings: Vec<(f64, Reading)>,
}

impl Metric {
    /// A metric of the function's own account, without dimensions or readings.
    pub fn new(region: &str, namespace: &str, name: &str) -> Self {
        Metric {
            account: ACCOUNT.into(),
            region: region.into(),
            namespace: namespace.into(),
            name: name.into(),
            dimensions: BTreeMap::new(),
            unit: None,
            readings: Vec::new(),
        }
    }

    /// The same metric in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    /// The same metric with this dimension (added to its others).
    pub fn dimension(mut self, name: &str, value: &str) -> Self {
        self.dimensions.insert(name.into(), value.into());
        self
    }

    /// The same metric in this unit (`Count`, `Milliseconds`, …).
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// The same metric with a raw sample at `time`.
    pub fn value(self, time: SystemTime, value: f64) -> Self {
        self.value_at(epoch_seconds(time), value)
    }

    /// The same metric with a raw sample at `seconds` since the epoch.
    pub fn value_at(mut self, seconds: f64, value: f64) -> Self {
        self.readings.push((seconds, Reading::Value(value)));
        self
    }

    /// The same metric with the statistics of the minute at `time` (`[("Sum", 41.0),
    /// ("p99", 812.0)]`): a query of a statistic the minute lacks has no datapoint for it.
    pub fn minute(self, time: SystemTime, stats: &[(&str, f64)]) -> Self {
        self.minute_at(epoch_seconds(time), stats)
    }

    /// Like [`Metric::minute`], the minute at `seconds` since the epoch.
    pub fn minute_at(mut self, seconds: f64, stats: &[(&str, f64)]) -> Self {
        let stats = stats.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        self.readings.push((seconds, Reading::Stats(stats)));
        self
    }

    /// Its datapoints, as a seed's `metrics` list them. Panics on a reading CloudWatch could
    /// not hold (a statistic it does not compute, a unit it does not know).
    pub fn points(&self) -> Vec<MetricPoint> {
        self.readings
            .iter()
            .map(|(timestamp, reading)| {
                let (value, stats) = match reading {
                    Reading::Value(v) => (Some(*v), BTreeMap::new()),
                    Reading::Stats(stats) => (None, stats.clone()),
                };
                let point = MetricPoint {
                    account: self.account.clone(),
                    region: self.region.clone(),
                    namespace: self.namespace.clone(),
                    name: self.name.clone(),
                    dimensions: self.dimensions.clone(),
                    unit: self.unit.clone(),
                    timestamp: *timestamp,
                    value,
                    stats,
                };
                point.check().unwrap_or_else(|e| panic!("{e}"));
                point
            })
            .collect()
    }
}

impl FakeAws {
    /// Adds a metric's datapoints (to those it may have already).
    pub fn put_metric(&self, metric: Metric) {
        let points = metric.points();
        self.lock().cloudwatch.metrics.extend(points);
    }

    /// Adds one datapoint. Panics on one CloudWatch could not hold.
    pub fn put_metric_point(&self, point: MetricPoint) {
        point.check().unwrap_or_else(|e| panic!("{e}"));
        self.lock().cloudwatch.metrics.push(point);
    }

    /// The datapoints of every metric.
    pub fn metric_points(&self) -> Vec<MetricPoint> {
        self.lock().cloudwatch.metrics.clone()
    }
}

/// A statistic `GetMetricData` computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
    /// `pNN` or `pNN.NN`, between 0 and 100.
    Percentile(f64),
}

impl Statistic {
    /// The statistic a `Stat` names; `None` for one CloudWatch does not know or the fake does
    /// not compute (`tm99`, `wm99`, `IQM`, …).
    pub(crate) fn parse(stat: &str) -> Option<Statistic> {
        Some(match stat {
            "SampleCount" => Statistic::SampleCount,
            "Average" => Statistic::Average,
            "Sum" => Statistic::Sum,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            _ => {
                let number = stat.strip_prefix('p')?;
                let (whole, fraction) = number.split_once('.').unwrap_or((number, "0"));
                let digits = |s: &str, most: usize| {
                    (1..=most).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
                };
                if !digits(whole, 3) || !digits(fraction, 2) {
                    return None;
                }
                let q: f64 = number.parse().ok()?;
                if !(0.0..=100.0).contains(&q) {
                    return None;
                }
                Statistic::Percentile(q)
            }
        })
    }

    /// The value of the statistic in a minute's `stats`, as seeded under any of its spellings
    /// (`p99` or `p99.0`); an `Average` the map lacks is its `Sum` over its `SampleCount`.
    fn of_minute(self, stats: &BTreeMap<String, f64>) -> Option<f64> {
        let found = stats
            .iter()
            .find(|(key, _)| Statistic::parse(key) == Some(self))
            .map(|(_, value)| *value);
        match self {
            Statistic::Average => found.or_else(|| {
                let (sum, count) = (Statistic::Sum, Statistic::SampleCount);
                Some(sum.of_minute(stats)? / count.of_minute(stats).filter(|c| *c > 0.0)?)
            }),
            _ => found,
        }
    }

    /// The statistic of raw samples (not empty); a percentile is the nearest-rank one.
    fn of_samples(self, samples: &[f64]) -> f64 {
        let sum: f64 = samples.iter().sum();
        let fold = |pick: fn(f64, f64) -> f64| samples.iter().copied().reduce(pick).unwrap_or(0.0);
        match self {
            Statistic::SampleCount => samples.len() as f64,
            Statistic::Sum => sum,
            Statistic::Average => sum / samples.len() as f64,
            Statistic::Minimum => fold(f64::min),
            Statistic::Maximum => fold(f64::max),
            Statistic::Percentile(q) => {
                let mut sorted = samples.to_vec();
                sorted.sort_by(f64::total_cmp);
                let rank = (q / 100.0 * sorted.len() as f64).ceil() as usize;
                sorted[rank.clamp(1, sorted.len()) - 1]
            }
        }
    }
}

/// What a query asks of the datapoints: the metric, exactly, and how to aggregate it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Selection<'a> {
    pub(crate) account: &'a str,
    pub(crate) region: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
    pub(crate) dimensions: BTreeMap<&'a str, &'a str>,
    /// Only datapoints of this unit (`None`: any).
    pub(crate) unit: Option<&'a str>,
    /// Seconds, a multiple of 60.
    pub(crate) period: i64,
    pub(crate) stat: Statistic,
    /// Seconds since the epoch, `start` included, `end` not, of the datapoints' minutes.
    pub(crate) start: f64,
    pub(crate) end: f64,
}

impl Selection<'_> {
    /// Whether the datapoint is of the metric (the same namespace, name and set of
    /// dimensions, as CloudWatch matches them), of the unit asked, and in the time asked: as
    /// CloudWatch keeps a minute's datapoints together (standard resolution), by the start of
    /// its minute.
    fn matches(&self, point: &MetricPoint) -> bool {
        let minute = (point.timestamp / 60.0).floor() * 60.0;
        point.is_in(self.account, self.region)
            && point.namespace == self.namespace
            && point.name == self.name
            && point.dimensions.len() == self.dimensions.len()
            && (point.dimensions.iter())
                .all(|(k, v)| self.dimensions.get(k.as_str()) == Some(&v.as_str()))
            && self
                .unit
                .is_none_or(|unit| point.unit.as_deref().unwrap_or("None") == unit)
            && self.start <= minute
            && minute < self.end
    }
}

/// The datapoints that fall in one period.
#[derive(Default)]
struct Period<'a> {
    samples: Vec<f64>,
    minutes: Vec<&'a BTreeMap<String, f64>>,
}

impl Period<'_> {
    /// The period's statistic; `None`: no datapoint; an error for precomputed statistics the
    /// fake cannot combine.
    fn statistic(&self, stat: Statistic) -> Result<Option<f64>, String> {
        match (self.samples.is_empty(), &self.minutes[..]) {
            (false, []) => return Ok(Some(stat.of_samples(&self.samples))),
            (true, [minute]) => return Ok(stat.of_minute(minute)),
            _ => {}
        }
        // Several minutes' statistics (or statistics and samples): only what adds up.
        let samples = (!self.samples.is_empty()).then_some(&self.samples);
        let combine = |stat: Statistic, pick: fn(f64, f64) -> f64| {
            let from_samples = samples.map(|s| stat.of_samples(s));
            let from_minutes = self.minutes.iter().filter_map(|m| stat.of_minute(m));
            from_samples.into_iter().chain(from_minutes).reduce(pick)
        };
        Ok(match stat {
            Statistic::Sum | Statistic::SampleCount => combine(stat, |a, b| a + b),
            Statistic::Minimum => combine(stat, f64::min),
            Statistic::Maximum => combine(stat, f64::max),
            Statistic::Average => {
                let (sum, count) = (Statistic::Sum, Statistic::SampleCount);
                let mut total: f64 = self.samples.iter().sum();
                let mut n = self.samples.len() as f64;
                for minute in &self.minutes {
                    match (sum.of_minute(minute), count.of_minute(minute)) {
                        (Some(s), Some(c)) => (total, n) = (total + s, n + c),
                        // A minute that tells its average must tell what it averages.
                        _ if minute.keys().any(|k| k == "Average") => {
                            return Err("an Average over minutes that do not all give their \
                                        Sum and SampleCount"
                                .into())
                        }
                        _ => {}
                    }
                }
                (n > 0.0).then(|| total / n)
            }
            Statistic::Percentile(_) => {
                return Err("a percentile over several minutes of precomputed stats".into())
            }
        })
    }
}

/// The statistic of each period (aligned to the epoch) in which the metric has datapoints,
/// oldest first, as (the period's start in seconds since the epoch, the value); a period
/// without datapoints (or whose minute lacks the statistic) is left out, as CloudWatch does.
/// An error names what the fake cannot compute.
pub(crate) fn series(
    points: &[MetricPoint],
    selection: &Selection,
) -> Result<Vec<(i64, f64)>, String> {
    let mut periods: BTreeMap<i64, Period> = BTreeMap::new();
    for point in points.iter().filter(|p| selection.matches(p)) {
        let start = (point.timestamp.floor() as i64).div_euclid(selection.period);
        let period = periods.entry(start * selection.period).or_default();
        match point.value {
            Some(value) => period.samples.push(value),
            None => period.minutes.push(&point.stats),
        }
    }
    let mut series = Vec::new();
    for (start, period) in periods {
        if let Some(value) = period.statistic(selection.stat)? {
            series.push((start, value));
        }
    }
    Ok(series)
}
