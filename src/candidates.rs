//! Deployments found → candidates: one per deployment (account, region and ID), with every
//! signal that asked for it, so each is decided on and stopped at most once. Pure.

use std::collections::BTreeSet;

use crate::resolve::StopRequest;
use crate::signal::Target;
use crate::types::{Account, AwsError, LookupError, NotActed, SignalSummary};

/// One signal's request for a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// The SQS record the signal came in (its index; 0 for any other payload).
    pub record: usize,
    /// Whether the signal named the deployment by ID (rather than its application or group).
    pub by_id: bool,
    pub reason: String,
    pub signal: SignalSummary,
}

/// One deployment to decide on, with every signal that asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub account: Account,
    pub region: String,
    pub asks: Vec<Ask>,
}

impl Candidate {
    /// The ask to act on: the first that names the deployment, else the latest signal (the
    /// one that can justify the most).
    pub fn basis(&self) -> &Ask {
        let by_id = self.asks.iter().find(|ask| ask.by_id);
        let latest = self.asks.iter().reduce(|latest, ask| {
            if ask.signal.time > latest.signal.time {
                ask
            } else {
                latest
            }
        });
        by_id.or(latest).expect("a candidate has at least one ask")
    }

    /// Every SQS record that asked for it.
    pub fn records(&self) -> BTreeSet<usize> {
        self.asks.iter().map(|ask| ask.record).collect()
    }
}

/// What requests found: the candidates, the signals that found nothing, the failed lookups.
#[derive(Debug, Default)]
pub struct Gathered {
    pub candidates: Vec<Candidate>,
    pub ignored: Vec<NotActed>,
    /// Each failed lookup with the SQS record whose signal it was.
    pub errors: Vec<(usize, LookupError)>,
}

/// Merges what each request's lookups found into one candidate per deployment (account, region
/// and ID), so each is decided on and stopped at most once.
pub fn gather(
    found: impl IntoIterator<Item = (usize, StopRequest, Vec<Result<Vec<String>, AwsError>>)>,
) -> Gathered {
    let mut gathered = Gathered::default();
    for (record, request, lookups) in found {
        let what = match &request.account {
            Account::Own(_) => format!("{} in {}", request.target, request.region),
            Account::Target(id) => {
                format!("{} in {}, account {id}", request.target, request.region)
            }
        };
        if lookups
            .iter()
            .all(|ids| ids.as_ref().is_ok_and(Vec::is_empty))
        {
            gathered.ignored.push(NotActed {
                signal: request.signal.label.clone(),
                reason: format!("no active deployment of {what}"),
            });
        }
        let by_id = matches!(request.target, Target::Deployment(_));
        for lookup in lookups {
            let ids = match lookup {
                Ok(ids) => ids,
                Err(e) => {
                    let error = LookupError {
                        signal: format!("{} ({what})", request.reason),
                        error_code: e.code.clone(),
                        message: e.to_string(),
                    };
                    gathered.errors.push((record, error));
                    continue;
                }
            };
            for id in ids {
                let ask = Ask {
                    record,
                    by_id,
                    reason: request.reason.clone(),
                    signal: request.signal.clone(),
                };
                let known = gathered.candidates.iter_mut().find(|c| {
                    c.id == id && c.region == request.region && c.account == request.account
                });
                match known {
                    Some(candidate) => candidate.asks.push(ask),
                    None => gathered.candidates.push(Candidate {
                        id,
                        account: request.account.clone(),
                        region: request.region.clone(),
                        asks: vec![ask],
                    }),
                }
            }
        }
    }
    gathered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Time;

    const OWN: &str = "123456789012";

    fn now() -> Time {
        Time::parse("2026-11-30T10:20:00Z").unwrap()
    }

    fn group(application: &str, group: Option<&str>) -> Target {
        Target::Group {
            application: application.into(),
            group: group.map(Into::into),
        }
    }

    fn request(target: Target, reason: &str, time: Time) -> StopRequest {
        StopRequest {
            target,
            account: Account::Own(OWN.into()),
            region: "us-east-1".into(),
            reason: reason.into(),
            signal: SignalSummary::alarm(reason, time),
        }
    }

    #[test]
    fn gathering_merges_asks_per_deployment_and_keeps_failures_apart() {
        let early = now().plus_secs(-600);
        let found = vec![
            (
                0,
                request(group("shop", Some("prod")), "early alarm", early),
                vec![Ok(vec!["d-AAAAAAAA1".to_string()])],
            ),
            (
                1,
                request(group("shop", None), "late alarm", now()),
                vec![
                    Ok(vec!["d-AAAAAAAA1".to_string(), "d-AAAAAAAA2".to_string()]),
                    Err(AwsError::new(
                        "ListDeployments",
                        "ThrottlingException",
                        "slow down",
                    )),
                ],
            ),
            (
                2,
                request(group("idle", None), "idle alarm", now()),
                vec![Ok(vec![])],
            ),
        ];
        let gathered = gather(found);
        let ids: Vec<&str> = gathered.candidates.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["d-AAAAAAAA1", "d-AAAAAAAA2"]);
        let first = &gathered.candidates[0];
        assert_eq!(first.records(), BTreeSet::from([0, 1]));
        assert_eq!(first.basis().reason, "late alarm", "the latest signal");
        assert_eq!(gathered.errors.len(), 1);
        assert_eq!(gathered.errors[0].0, 1);
        assert_eq!(gathered.errors[0].1.error_code, "ThrottlingException");
        assert_eq!(
            gathered.ignored[0].reason,
            "no active deployment of idle (every group) in us-east-1"
        );
    }

    #[test]
    fn a_signal_naming_the_deployment_is_the_basis() {
        let found = vec![
            (
                0,
                request(group("shop", None), "late alarm", now()),
                vec![Ok(vec!["d-AAAAAAAA1".to_string()])],
            ),
            (
                0,
                request(
                    Target::Deployment("d-AAAAAAAA1".into()),
                    "kill switch",
                    now().plus_secs(-10),
                ),
                vec![Ok(vec!["d-AAAAAAAA1".to_string()])],
            ),
        ];
        let gathered = gather(found);
        assert_eq!(gathered.candidates.len(), 1);
        let basis = gathered.candidates[0].basis();
        assert!(basis.by_id);
        assert_eq!(basis.reason, "kill switch");
    }
}
