//! Elastic Load Balancing v2 (SigV4 service `elasticloadbalancing`, query protocol, XML
//! answers): `DescribeTargetGroups` of the target groups of every account and region, by name,
//! by ARN, by load balancer or all of them, paginated with `Marker`; a name or ARN it does not
//! know is `TargetGroupNotFound`. IAM: `elasticloadbalancing:DescribeTargetGroups` takes no
//! resource type, so it is authorized on `*`.
//!
//! A target group's CloudWatch dimensions (`AWS/ApplicationELB`) are [`TargetGroup::dimension`]
//! and [`TargetGroup::load_balancer_dimensions`].

use serde::{Deserialize, Serialize};

use crate::protocol::{client_error, escape, ApiError, ELB_NAMESPACE};
use crate::simulator::members;
use crate::{md5, own_account, string_field, FakeAws, Input, State, ACCOUNT};

/// `PageSize` at most, and when not given.
const PAGE_LIMIT: usize = 400;

/// An Elastic Load Balancing v2 target group.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetGroup {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub name: String,
    /// The 16 hexadecimal digits that end its ARN; when not given, made from its account,
    /// region and name.
    #[serde(default)]
    pub id: Option<String>,
    /// The load balancers that route to it: application load balancers' names (their ARNs
    /// made as for `id`) or ARNs.
    #[serde(default)]
    pub load_balancers: Vec<String>,
    /// `instance` (the default), `ip`, `lambda` or `alb`.
    #[serde(default = "instance")]
    pub target_type: String,
    /// `HTTP` (the default), `HTTPS`, …; a `lambda` target group has none.
    #[serde(default = "http")]
    pub protocol: String,
    /// 80 by default; a `lambda` target group has none.
    #[serde(default = "port_80")]
    pub port: u16,
    /// Its VPC; a `lambda` target group has none.
    #[serde(default = "vpc")]
    pub vpc_id: String,
}

fn instance() -> String {
    "instance".into()
}

fn http() -> String {
    "HTTP".into()
}

fn port_80() -> u16 {
    80
}

fn vpc() -> String {
    "vpc-0fa4e5c6d7b8a9012".into()
}

/// 16 hexadecimal digits made from `parts`, as AWS ends its load balancers' ARNs.
fn hex_id(parts: &[&str]) -> String {
    md5::hex(parts.join("/").as_bytes())[..16].to_string()
}

impl TargetGroup {
    /// An HTTP target group of instances on port 80, in the function's own account.
    pub fn new(region: &str, name: &str) -> Self {
        TargetGroup {
            account: ACCOUNT.into(),
            region: region.into(),
            name: name.into(),
            id: None,
            load_balancers: Vec::new(),
            target_type: instance(),
            protocol: http(),
            port: port_80(),
            vpc_id: vpc(),
        }
    }

    /// The same target group in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    /// The same target group, its ARN ending in these 16 hexadecimal digits.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The same target group, routed to by this application load balancer (a name or ARN).
    pub fn load_balancer(mut self, name_or_arn: &str) -> Self {
        self.load_balancers.push(name_or_arn.into());
        self
    }

    /// The same target group of another target type (`ip`, `lambda`, …).
    pub fn target_type(mut self, target_type: &str) -> Self {
        self.target_type = target_type.into();
        self
    }

    /// The same target group on another protocol and port.
    pub fn listening(mut self, protocol: &str, port: u16) -> Self {
        self.protocol = protocol.into();
        self.port = port;
        self
    }

    /// The 16 hexadecimal digits that end its ARN.
    pub fn hex_id(&self) -> String {
        (self.id.clone()).unwrap_or_else(|| hex_id(&[&self.account, &self.region, &self.name]))
    }

    /// `arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/{id}`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:elasticloadbalancing:{}:{}:{}",
            self.region,
            self.account,
            self.dimension()
        )
    }

    /// Its `TargetGroup` dimension in CloudWatch: `targetgroup/{name}/{id}`.
    pub fn dimension(&self) -> String {
        format!("targetgroup/{}/{}", self.name, self.hex_id())
    }

    /// The ARNs of its load balancers:
    /// `arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{id}`.
    pub fn load_balancer_arns(&self) -> Vec<String> {
        let (region, account) = (&self.region, &self.account);
        (self.load_balancers.iter())
            .map(|lb| match lb.starts_with("arn:") {
                true => lb.clone(),
                false => format!(
                    "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{lb}/{}",
                    hex_id(&[account, region, "loadbalancer", lb])
                ),
            })
            .collect()
    }

    /// The `LoadBalancer` dimension in CloudWatch of each of its load balancers:
    /// `app/{name}/{id}`, its ARN after `loadbalancer/`.
    pub fn load_balancer_dimensions(&self) -> Vec<String> {
        (self.load_balancer_arns().iter())
            .map(|arn| {
                let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
                resource.trim_start_matches("loadbalancer/").to_string()
            })
            .collect()
    }

    /// The `LoadBalancer` dimension of its (first) load balancer, if it has one.
    pub fn load_balancer_dimension(&self) -> Option<String> {
        self.load_balancer_dimensions().into_iter().next()
    }

    pub(crate) fn is_in(&self, account: &str, region: &str) -> bool {
        self.account == account && self.region == region
    }

    /// As `DescribeTargetGroups` writes it, a `member` of its `TargetGroups`.
    fn describe(&self) -> String {
        let mut xml = format!(
            "<member><TargetGroupArn>{}</TargetGroupArn><TargetGroupName>{}</TargetGroupName>",
            escape(&self.arn()),
            escape(&self.name)
        );
        let lambda = self.target_type == "lambda";
        if !lambda {
            xml += &format!(
                "<Protocol>{}</Protocol><Port>{}</Port><VpcId>{}</VpcId>\
                 <HealthCheckProtocol>{}</HealthCheckProtocol>\
                 <HealthCheckPort>traffic-port</HealthCheckPort>",
                escape(&self.protocol),
                self.port,
                escape(&self.vpc_id),
                escape(&self.protocol),
            );
        }
        xml += &format!(
            "<HealthCheckEnabled>{}</HealthCheckEnabled>\
             <HealthCheckIntervalSeconds>{}</HealthCheckIntervalSeconds>\
             <HealthCheckTimeoutSeconds>{}</HealthCheckTimeoutSeconds>\
             <HealthyThresholdCount>5</HealthyThresholdCount>\
             <UnhealthyThresholdCount>2</UnhealthyThresholdCount>\
             <HealthCheckPath>/</HealthCheckPath><Matcher><HttpCode>200</HttpCode></Matcher>",
            !lambda,
            if lambda { 35 } else { 30 },
            if lambda { 30 } else { 5 },
        );
        xml += "<LoadBalancerArns>";
        for arn in self.load_balancer_arns() {
            xml += &format!("<member>{}</member>", escape(&arn));
        }
        xml += "</LoadBalancerArns>";
        xml += &format!("<TargetType>{}</TargetType>", escape(&self.target_type));
        if ["HTTP", "HTTPS"].contains(&self.protocol.as_str()) && !lambda {
            xml += "<ProtocolVersion>HTTP1</ProtocolVersion><IpAddressType>ipv4</IpAddressType>";
        }
        xml + "</member>"
    }
}

/// Elastic Load Balancing's state: the target groups of every account and region.
#[derive(Default)]
pub(crate) struct Elb {
    pub(crate) target_groups: Vec<TargetGroup>,
}

impl FakeAws {
    /// Adds a target group, or replaces the one of the same account, region and name.
    pub fn put_target_group(&self, group: TargetGroup) {
        let mut state = self.lock();
        let groups = &mut state.elb.target_groups;
        groups.retain(|g| !(g.is_in(&group.account, &group.region) && g.name == group.name));
        groups.push(group);
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    client_error("ValidationError", message)
}

fn not_found() -> ApiError {
    client_error("TargetGroupNotFound", "One or more target groups not found")
}

/// Whether `arn` is shaped as an ARN of `kind` (`targetgroup/…`, `loadbalancer/…`).
fn is_arn(arn: &str, kind: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts[..], ["arn", _, "elasticloadbalancing", region, account, resource]
        if !region.is_empty() && !account.is_empty() && resource.starts_with(kind))
}

/// `DescribeTargetGroups`, in the caller's account and region.
pub(crate) fn describe_target_groups(state: &mut State, input: &Input) -> Result<String, ApiError> {
    let (account, region, body) = (input.account(), input.region, input.body);
    let action = "elasticloadbalancing:DescribeTargetGroups";
    (input.caller.authorize(action, "*", account, region))
        .map_err(|ApiError(_, _, message)| ApiError(403, "AccessDenied".into(), message))?;
    let names = members(body, "Names");
    let arns = members(body, "TargetGroupArns");
    let load_balancer = string_field(body, "LoadBalancerArn");
    let filters = [!names.is_empty(), !arns.is_empty(), load_balancer.is_some()];
    if filters.iter().filter(|given| **given).count() > 1 {
        return Err(invalid(
            "Only one of LoadBalancerArn, TargetGroupArns and Names can be specified",
        ));
    }
    let page_size = match string_field(body, "PageSize") {
        None => PAGE_LIMIT,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=PAGE_LIMIT).contains(n))
            .ok_or_else(|| {
                invalid(format!(
                    "1 validation error detected: Value '{n}' at 'pageSize' failed to satisfy \
                     constraint: Member must have value between 1 and {PAGE_LIMIT}"
                ))
            })?,
    };
    let here: Vec<&TargetGroup> = (state.elb.target_groups.iter())
        .filter(|g| g.is_in(account, region))
        .collect();
    let mut found: Vec<&TargetGroup> = Vec::new();
    if !names.is_empty() {
        for name in &names {
            found.push(
                here.iter()
                    .find(|g| g.name == *name)
                    .ok_or_else(not_found)?,
            );
        }
    } else if !arns.is_empty() {
        if let Some(bad) = arns.iter().find(|arn| !is_arn(arn, "targetgroup/")) {
            return Err(invalid(format!("'{bad}' is not a valid target group ARN")));
        }
        for arn in &arns {
            found.push(
                here.iter()
                    .find(|g| g.arn() == *arn)
                    .ok_or_else(not_found)?,
            );
        }
    } else if let Some(arn) = load_balancer {
        if !is_arn(arn, "loadbalancer/") {
            return Err(invalid(format!("'{arn}' is not a valid load balancer ARN")));
        }
        found = (here.iter().copied())
            .filter(|g| g.load_balancer_arns().iter().any(|lb| lb == arn))
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        // The fake knows the load balancers its target groups name, no other.
        if found.is_empty() {
            return Err(client_error(
                "LoadBalancerNotFound",
                "One or more load balancers not found",
            ));
        }
    } else {
        found = here;
        found.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let size = state
        .page_size
        .map_or(page_size, |page| page.min(page_size));
    let marker = string_field(body, "Marker");
    let (page, next) = crate::cloudwatch::page_at(&found, marker, size)
        .ok_or_else(|| invalid("The marker is not valid"))?;
    Ok(answer(&page, next.as_deref()))
}

/// `DescribeTargetGroups`' answer.
fn answer(groups: &[&TargetGroup], next: Option<&str>) -> String {
    let members: String = groups.iter().map(|g| g.describe()).collect();
    let next = next.map_or(String::new(), |marker| {
        format!("<NextMarker>{}</NextMarker>", escape(marker))
    });
    format!(
        "<DescribeTargetGroupsResponse xmlns=\"{ELB_NAMESPACE}\"><DescribeTargetGroupsResult>\
         <TargetGroups>{members}</TargetGroups>{next}</DescribeTargetGroupsResult>\
         <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>\
         </ResponseMetadata></DescribeTargetGroupsResponse>"
    )
}

#[cfg(test)]
#[path = "elb_tests.rs"]
mod tests;
