//! An error from AWS, after the SDK's retries, with what to fix when retrying cannot.

use std::fmt;

/// The error code of work cut short by the invocation's deadline.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// The error code of a call whose credentials could not be had.
pub const CREDENTIALS_ERROR: &str = "CredentialsError";

/// The error code of a target account whose role could not be assumed.
pub const ASSUME_ROLE_FAILED: &str = "AssumeRoleFailed";

/// An error from AWS (after the SDK's retries), with its AWS error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The operation that failed.
    pub operation: &'static str,
    /// The AWS error code (`ThrottlingException`, …), or the SDK's failure kind.
    pub code: String,
    pub message: String,
    /// The role the call was made as, in another account.
    pub via_role: Option<String>,
}

impl AwsError {
    pub(crate) fn new(operation: &'static str, code: &str, message: impl Into<String>) -> Self {
        AwsError {
            operation,
            code: code.into(),
            message: message.into(),
            via_role: None,
        }
    }

    /// What to fix, for errors that retrying cannot.
    pub fn hint(&self) -> Option<String> {
        let hint = match (self.code.as_str(), &self.via_role) {
            ("AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation", role) => {
                self.denied(role.as_deref())
            }
            (
                "DeploymentDoesNotExistException"
                | "ApplicationDoesNotExistException"
                | "DeploymentGroupDoesNotExistException",
                _,
            ) => "check the name or ID, and that it lives in this account and region".into(),
            ("UnrecognizedClientException" | "InvalidSignatureException", _)
            | ("ExpiredTokenException", _) => "the function's credentials were refused".into(),
            (CREDENTIALS_ERROR, _) => "no credentials could be had for this account".into(),
            _ => return None,
        };
        Some(hint)
    }

    /// What the role that was denied this call must be granted, and where.
    fn denied(&self, role: Option<&str>) -> String {
        let (who, policy) = match role {
            None => ("the function's IAM role", "template.yaml"),
            Some(role) => (role, "templates/target-role.yaml"),
        };
        let grant = match self.operation {
            "StopDeployment" => "StopDeployment on \"*\" (it has no resource type)",
            "ListDeploymentGroups" => "ListDeploymentGroups on this application",
            "ListDeployments" => "ListDeployments on this deployment group",
            "BatchGetDeployments" => "BatchGetDeployments on this deployment group",
            "PutEvents" => {
                return format!(
                    "{who} may not put events on this bus: template.yaml grants PutEvents on the \
                     NotifyEventBus of its own account and region only"
                )
            }
            _ => "this call",
        };
        format!(
            "{who} may not make this call here: its policy ({policy}) must allow {grant}, in a \
             region its Regions parameter lists"
        )
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code == DEADLINE_EXCEEDED {
            return write!(f, "deadline: {} {}", self.operation, self.message);
        }
        write!(
            f,
            "{} failed with {}: {}",
            self.operation, self.code, self.message
        )?;
        match self.hint() {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_fix() {
        let error = |code: &str| AwsError::new("StopDeployment", code, "no");
        assert!(error("AccessDeniedException")
            .to_string()
            .contains("IAM role"));
        assert!(error("DeploymentGroupDoesNotExistException")
            .to_string()
            .contains("account and region"));
        assert_eq!(
            error("ThrottlingException").to_string(),
            "StopDeployment failed with ThrottlingException: no"
        );
        assert_eq!(
            error(DEADLINE_EXCEEDED).to_string(),
            "deadline: StopDeployment no"
        );
    }
}
