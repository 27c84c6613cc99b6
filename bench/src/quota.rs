//! A CPU quota like a Lambda function's: Lambda gives CPU in proportion to memory (1,769 MB is
//! one vCPU), so a 128 MB function gets about 7.2 ms of CPU time in every 100 ms. The quota is a
//! cgroup (v2 `cpu.max`, or v1 `cpu.cfs_quota_us`) that a process joins before it executes its
//! program ([`CpuQuota::apply`]), or once its init is done ([`CpuQuota::join`]).

use std::ffi::CString;
use std::path::{Path, PathBuf};

use tokio::process::Command;

/// The memory size whose CPU share is modelled, and the memory of one full vCPU.
pub const MEMORY_MB: u64 = 128;
const MB_PER_VCPU: u64 = 1769;
const PERIOD_US: u64 = 100_000;

/// A cgroup with a CPU quota; removed when dropped (once its processes have exited).
pub struct CpuQuota {
    dir: PathBuf,
    procs: CString,
    /// CPU time allowed per period, in microseconds.
    pub quota_us: u64,
}

impl CpuQuota {
    /// Creates the cgroup, or says why it cannot be (no cgroup with a cpu controller that this
    /// process may write).
    pub fn create(mode: &str) -> Result<CpuQuota, String> {
        let quota_us = PERIOD_US * MEMORY_MB / MB_PER_VCPU;
        let name = format!("circuit-breaker-bench-{}-{mode}", std::process::id());
        let v2 = Path::new("/sys/fs/cgroup");
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        let v2_has_cpu = std::fs::read_to_string(v2.join("cgroup.controllers"))
            .is_ok_and(|controllers| controllers.split_whitespace().any(|c| c == "cpu"));
        let (dir, settings) = if v2_has_cpu {
            let dir = v2.join(&name);
            let max = format!("{quota_us} {PERIOD_US}");
            (dir, vec![("cpu.max", max)])
        } else if v1.join("cpu.cfs_quota_us").exists() {
            let dir = v1.join(&name);
            let settings = vec![
                ("cpu.cfs_period_us", PERIOD_US.to_string()),
                ("cpu.cfs_quota_us", quota_us.to_string()),
            ];
            (dir, settings)
        } else {
            return Err("no cgroup with a cpu controller at /sys/fs/cgroup".into());
        };
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let quota = CpuQuota {
            procs: CString::new(dir.join("cgroup.procs").to_string_lossy().as_bytes())
                .map_err(|e| e.to_string())?,
            dir,
            quota_us,
        };
        for (file, value) in settings {
            let path = quota.dir.join(file);
            std::fs::write(&path, value)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(quota)
    }

    /// Makes `command`'s process join the cgroup before it executes its program, so its whole
    /// life (loading included) runs under the quota.
    pub fn apply(&self, command: &mut Command) {
        let procs = self.procs.clone();
        // SAFETY: between fork and exec only async-signal-safe calls are made (open, write,
        // close, getpid); nothing allocates.
        unsafe {
            command.pre_exec(move || {
                let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
                if fd < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let mut digits = [0u8; 20];
                let mut at = digits.len();
                let mut pid = libc::getpid() as u64;
                loop {
                    at -= 1;
                    digits[at] = b'0' + (pid % 10) as u8;
                    pid /= 10;
                    if pid == 0 {
                        break;
                    }
                }
                let pid = &digits[at..];
                let written = libc::write(fd, pid.as_ptr().cast(), pid.len());
                libc::close(fd);
                if written < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Moves a running process into the cgroup.
    pub fn join(&self, pid: u32) {
        let procs = self.dir.join("cgroup.procs");
        std::fs::write(&procs, pid.to_string()).expect("the process joins the cgroup");
    }

    /// How often the cgroup's processes were held back for want of quota so far.
    pub fn throttled_periods(&self) -> u64 {
        let stat = std::fs::read_to_string(self.dir.join("cpu.stat")).unwrap_or_default();
        stat.lines()
            .find_map(|line| {
                line.strip_prefix("nr_throttled ")
                    .or_else(|| line.strip_prefix("nr_throttled\t"))
            })
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for CpuQuota {
    fn drop(&mut self) {
        // Fails while a process is still in it; the bench kills its children first.
        let _ = std::fs::remove_dir(&self.dir);
    }
}
