//! Latency samples and what the report says about them: median, p99, mean, rate.

use std::time::Duration;

use serde_json::{Value, json};

/// Round-by-round ratios of two sample sets ([`Samples::paired_ratio`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paired {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub rounds: usize,
}

impl Paired {
    pub fn json(&self) -> Value {
        json!({"median": round(self.median), "min": round(self.min), "max": round(self.max), "rounds": self.rounds})
    }
}

/// Per-call latencies in nanoseconds, kept sorted once finished.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    ns: Vec<f64>,
}

impl Samples {
    pub fn with_capacity(n: usize) -> Self {
        Self { ns: Vec::with_capacity(n) }
    }

    pub fn push(&mut self, d: Duration) {
        self.ns.push(d.as_secs_f64() * 1e9);
    }

    pub fn push_ns(&mut self, ns: f64) {
        self.ns.push(ns);
    }

    pub fn len(&self) -> usize {
        self.ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ns.is_empty()
    }

    /// How far the medians of consecutive runs of `chunk` samples (the rounds) spread: the
    /// largest over the smallest, minus one; `None` with fewer than two whole runs.
    pub fn chunk_spread(&self, chunk: usize) -> Option<f64> {
        let medians = self.chunk_medians(chunk);
        let (min, max) = medians.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &m| (lo.min(m), hi.max(m)));
        (medians.len() >= 2 && min > 0.0).then(|| max / min - 1.0)
    }

    /// The median of each whole run of `chunk` consecutive samples (each round), in order.
    pub fn chunk_medians(&self, chunk: usize) -> Vec<f64> {
        self.ns
            .chunks_exact(chunk.max(1))
            .map(|c| {
                let mut sorted = c.to_vec();
                sorted.sort_by(f64::total_cmp);
                percentile(&sorted, 50.0)
            })
            .collect()
    }

    /// Round by round, this median over `reference`'s median in the same round (rounds of
    /// `chunk` samples in both): the median and the range of those ratios. Each ratio sets two
    /// figures measured seconds apart against each other, so a change of the machine's speed
    /// between rounds leaves it alone (it moves the whole-run medians). `None` unless both
    /// have the same two or more whole rounds.
    pub fn paired_ratio(&self, reference: &Samples, chunk: usize) -> Option<Paired> {
        let (ours, theirs) = (self.chunk_medians(chunk), reference.chunk_medians(chunk));
        if ours.len() < 2 || ours.len() != theirs.len() || theirs.iter().any(|&t| t <= 0.0) {
            return None;
        }
        let mut ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(o, t)| o / t).collect();
        ratios.sort_by(f64::total_cmp);
        Some(Paired {
            median: percentile(&ratios, 50.0),
            min: ratios.first().copied().unwrap_or(0.0),
            max: ratios.last().copied().unwrap_or(0.0),
            rounds: ratios.len(),
        })
    }

    pub fn finish(mut self) -> Stats {
        self.ns.sort_by(f64::total_cmp);
        let n = self.ns.len();
        let mean = if n == 0 { 0.0 } else { self.ns.iter().sum::<f64>() / n as f64 };
        Stats {
            n,
            median_ns: percentile(&self.ns, 50.0),
            p90_ns: percentile(&self.ns, 90.0),
            p99_ns: percentile(&self.ns, 99.0),
            max_ns: self.ns.last().copied().unwrap_or(0.0),
            mean_ns: mean,
        }
    }
}

/// Nearest-rank percentile of sorted values (0 when empty).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied().unwrap_or(0.0)
}

/// The summary of one set of samples.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub n: usize,
    pub median_ns: f64,
    pub p90_ns: f64,
    pub p99_ns: f64,
    pub max_ns: f64,
    pub mean_ns: f64,
}

impl Stats {
    /// Calls per second on one core, from the mean (what a saturated core sustains).
    pub fn per_sec(&self) -> f64 {
        if self.mean_ns > 0.0 { 1e9 / self.mean_ns } else { 0.0 }
    }

    pub fn json(&self) -> Value {
        json!({
            "samples": self.n,
            "median_us": round(self.median_ns / 1e3),
            "p90_us": round(self.p90_ns / 1e3),
            "p99_us": round(self.p99_ns / 1e3),
            "max_us": round(self.max_ns / 1e3),
            "mean_us": round(self.mean_ns / 1e3),
            "per_sec": self.per_sec().round(),
        })
    }
}

/// Three decimals, for JSON.
pub fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A duration in nanoseconds, printed with a unit that keeps three significant digits.
pub fn human_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A rate with a thousands suffix.
pub fn human_rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2} M/s", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1} k/s", per_sec / 1e3)
    } else {
        format!("{per_sec:.0} /s")
    }
}

/// A byte count in MB (10^6) or kB.
pub fn human_bytes(bytes: u64) -> String {
    if bytes >= 1_000_000 { format!("{:.2} MB", bytes as f64 / 1e6) } else { format!("{:.1} kB", bytes as f64 / 1e3) }
}

/// The median of plain values (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_spread_is_the_largest_over_the_smallest_round_median() {
        let mut s = Samples::default();
        // Rounds of three: medians 10, 20, 15; the trailing partial round is left out.
        for v in [9.0, 10.0, 50.0, 20.0, 1.0, 30.0, 15.0, 15.0, 15.0, 1000.0] {
            s.push_ns(v);
        }
        assert_eq!(s.chunk_spread(3), Some(1.0));
        assert_eq!(s.chunk_spread(10), None);
        assert_eq!(Samples::default().chunk_spread(3), None);
    }

    #[test]
    fn paired_ratio_sets_each_round_against_the_same_round() {
        let samples = |values: &[f64]| {
            let mut s = Samples::default();
            values.iter().for_each(|v| s.push_ns(*v));
            s
        };
        // The reference doubles in the second round and so does ours: every round is 1.5x,
        // where the whole-run medians would say 30 / 20.
        let reference = samples(&[10.0, 10.0, 10.0, 20.0, 20.0, 20.0, 40.0, 40.0, 40.0]);
        let ours = samples(&[15.0, 15.0, 14.0, 30.0, 31.0, 30.0, 66.0, 60.0, 60.0]);
        let p = ours.paired_ratio(&reference, 3).unwrap();
        assert_eq!((p.median, p.min, p.max, p.rounds), (1.5, 1.5, 1.5, 3));
        let skewed = samples(&[10.0, 10.0, 10.0, 30.0, 30.0, 30.0, 80.0, 80.0, 80.0]);
        let p = skewed.paired_ratio(&reference, 3).unwrap();
        assert_eq!((p.median, p.min, p.max), (1.5, 1.0, 2.0));
        // Rounds that do not pair up give no ratio.
        assert_eq!(samples(&[1.0, 2.0, 3.0]).paired_ratio(&reference, 3), None);
        assert_eq!(ours.paired_ratio(&samples(&[]), 3), None);
    }

    #[track_caller]
    fn check(values: &[f64], expected: (f64, f64, f64)) {
        let mut s = Samples::default();
        values.iter().for_each(|v| s.push_ns(*v));
        let st = s.finish();
        assert_eq!((st.median_ns, st.p99_ns, st.mean_ns), expected);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        check(&[], (0.0, 0.0, 0.0));
        check(&[5.0], (5.0, 5.0, 5.0));
        check(&[3.0, 1.0, 2.0], (2.0, 3.0, 2.0));
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        check(&hundred, (50.0, 99.0, 50.5));
    }
}
