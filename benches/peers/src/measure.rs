//! What every harness measures the same way: latency histograms, CPU time and memory.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies in microseconds, 1 µs to 10 min at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("static histogram bounds are valid")
}

/// Records one latency.
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
    h.saturating_record(us);
}

fn timeval_secs(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}

fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: rusage is plain old data (all zeroes is valid), and getrusage only
    // writes into the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    usage
}

/// User + system CPU seconds this process has used so far (all threads).
pub fn cpu_seconds() -> f64 {
    let u = rusage(libc::RUSAGE_SELF);
    timeval_secs(u.ru_utime) + timeval_secs(u.ru_stime)
}

/// Resident set size now, in bytes (from `/proc/self/statm`).
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no memory effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}

/// Raises the soft open-file limit to the hard one: 1,000 streams need 1,000 sockets,
/// and the children (the mock) inherit it.
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls only read or write the struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// A child's exit status, peak RSS (bytes) and CPU seconds, from `wait4`.
pub struct ChildUsage {
    pub success: bool,
    pub max_rss_bytes: u64,
    pub cpu_seconds: f64,
}

/// Waits for `child` with `wait4`, which reports the peak RSS of that child alone.
pub fn wait_with_usage(child: &std::process::Child) -> std::io::Result<ChildUsage> {
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 writes into the status and rusage we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(ChildUsage {
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        // ru_maxrss is in KiB on Linux.
        max_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        cpu_seconds: timeval_secs(usage.ru_utime) + timeval_secs(usage.ru_stime),
    })
}
