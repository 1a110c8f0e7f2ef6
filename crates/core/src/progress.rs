//! Progress reports at a human pace. A scan of 10 000 files reports 10 000 times, from
//! several threads; a progress bar needs a few updates a second, and every report the
//! app forwards is a message the web view must handle and render (10 000 of them in a
//! second made the window stall for a quarter of a second at a time). [`Throttled`]
//! passes the first report, then at most one per period, and always the last one
//! (everything done), so a bar never stays up after its scan.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::ScanProgress;

/// See the module documentation.
pub struct Throttled<F> {
    report: F,
    period: Duration,
    /// When the last report was forwarded, and that report.
    last: Mutex<Option<(Instant, ScanProgress)>>,
}

impl<F: Fn(ScanProgress)> Throttled<F> {
    pub fn new(period: Duration, report: F) -> Self {
        Throttled {
            report,
            period,
            last: Mutex::new(None),
        }
    }

    /// Forward `p` if it is the first, the last, or the period has passed since the
    /// last one forwarded. Threads report out of order by a step or two: a report
    /// older than a finished one already forwarded is dropped, so the bar it would
    /// bring back never sticks.
    pub fn report(&self, p: ScanProgress) {
        let finished = p.files_done >= p.files_total;
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if let Some((at, before)) = *last {
                let stale = before.files_done >= before.files_total
                    && before.files_total == p.files_total
                    && p.files_done < before.files_done;
                let due = now.duration_since(at) >= self.period;
                if stale || !(due || finished) {
                    return;
                }
            }
            *last = Some((now, p));
        }
        (self.report)(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn at(done: u64) -> ScanProgress {
        ScanProgress {
            files_done: done,
            files_total: 10_000,
            bytes_done: done * 100,
            bytes_total: 1_000_000,
        }
    }

    #[test]
    fn a_burst_becomes_the_first_report_and_the_last() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let t = Throttled::new(Duration::from_secs(3600), move |p: ScanProgress| {
            sink.lock().unwrap().push(p.files_done)
        });
        for done in 0..=10_000 {
            t.report(at(done));
        }
        assert_eq!(*seen.lock().unwrap(), [0, 10_000]);
    }

    #[test]
    fn a_late_report_never_reopens_a_finished_bar() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let t = Throttled::new(Duration::ZERO, move |p: ScanProgress| {
            sink.lock().unwrap().push(p.files_done)
        });
        t.report(at(9_998));
        t.report(at(10_000));
        t.report(at(9_999));
        // A new scan of another size is reported again.
        t.report(ScanProgress {
            files_done: 1,
            files_total: 5,
            ..at(0)
        });
        assert_eq!(*seen.lock().unwrap(), [9_998, 10_000, 1]);
    }

    #[test]
    fn reports_pass_again_once_the_period_is_over() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let t = Throttled::new(Duration::from_millis(20), move |p: ScanProgress| {
            sink.lock().unwrap().push(p.files_done)
        });
        t.report(at(1));
        t.report(at(2));
        std::thread::sleep(Duration::from_millis(30));
        t.report(at(3));
        assert_eq!(*seen.lock().unwrap(), [1, 3]);
    }
}
