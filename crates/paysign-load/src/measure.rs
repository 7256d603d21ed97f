//! Measuring: the SM2 verification bound (what the callback endpoint could reach if verifying
//! were all it did), a closed-loop driver keeping N requests in flight, and percentiles.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paysign_crypto::PublicKey;

/// Verifications per second with `threads` threads verifying `bodies` for `for_how_long`.
pub fn verify_bound(
    bodies: &[String],
    key: &PublicKey,
    threads: usize,
    for_how_long: Duration,
) -> f64 {
    if bodies.is_empty() {
        return 0.0;
    }
    let done = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let done = &done;
            scope.spawn(move || {
                let mut i = t;
                while started.elapsed() < for_how_long {
                    if let Some(body) = bodies.get(i % bodies.len()) {
                        // Every body is genuine; a failure here would only make the bound lower.
                        if paysign_pas::callback::verify(body.as_bytes(), key).is_ok() {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    i += threads;
                }
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// The order in which the load pays the orders it made: by order number. The numbers are random
/// (`ids::new_id`), so orders are paid in no relation to the order they were created and stored
/// in, as in production, where each order is paid a while after it was created, among many
/// others. Payment Kit notifies in the order of payment, with callbackIds and transaction
/// numbers that follow it, and the load delivers in that order too (the sandbox's event order).
/// Paid in creation order instead, consecutive callbacks update neighbouring rows and index
/// entries, a batch dirties a few shared pages, and SQLite's writer needs about a third less CPU
/// per callback: a rate no real traffic would see (docs/reliability.md).
pub fn payment_order(mut merc_order_numbers: Vec<String>) -> Vec<String> {
    merc_order_numbers.sort_unstable();
    merc_order_numbers
}

/// The `p` quantile (0..=1) of sorted samples, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(i.min(sorted.len() - 1))
        .copied()
        .unwrap_or_default()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What a closed-loop round did.
#[derive(Debug, Clone, Default)]
pub struct Round {
    pub requests: usize,
    pub per_second: f64,
    /// Sorted.
    pub latencies: Vec<Duration>,
    pub errors: usize,
    /// The first few errors, for the report.
    pub error_samples: Vec<String>,
    /// CPU time the driver itself used for the round, where it could be told apart from the
    /// server's (`None` where it shares a thread with it).
    pub driver_cpu: Option<Duration>,
}

impl Round {
    pub fn p50(&self) -> Duration {
        percentile(&self.latencies, 0.50)
    }
    pub fn p99(&self) -> Duration {
        percentile(&self.latencies, 0.99)
    }
    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }
    /// The driver's CPU time per request, in microseconds.
    pub fn driver_us_per_request(&self) -> Option<f64> {
        self.driver_cpu
            .map(|c| c.as_secs_f64() * 1e6 / self.requests.max(1) as f64)
    }
}

/// A single-threaded tokio runtime on its own OS thread, to run a load driver beside a server
/// that runs in the same process: the driver gets one thread's worth of scheduling, and its
/// CPU time is that thread's ([`thread_cpu`]), apart from the server's.
pub struct DriverThread {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DriverThread {
    pub fn start() -> std::io::Result<DriverThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("load-driver".to_owned())
            .spawn(move || {
                // Tasks spawned through the handle run here, inside this block_on.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(DriverThread {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Runs `fut` on the driver thread: its output and the CPU time the thread used meanwhile
    /// (the future's own work and its tasks'; nothing else runs there).
    pub async fn run<F>(&self, fut: F) -> Result<(F::Output, Duration), String>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle
            .spawn(async move {
                let before = thread_cpu();
                let out = fut.await;
                (out, thread_cpu().saturating_sub(before))
            })
            .await
            .map_err(|e| format!("the driver thread: {e}"))
    }

    /// [`closed_loop`] on the driver thread; the round's `driver_cpu` is the thread's CPU time.
    pub async fn closed_loop<T, F, Fut>(
        &self,
        items: Vec<T>,
        concurrency: usize,
        job: F,
    ) -> Result<Round, String>
    where
        T: Send + 'static,
        F: Fn(T) -> Fut + Send + Sync + Clone + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        let (mut round, cpu) = self.run(closed_loop(items, concurrency, job)).await?;
        round.driver_cpu = Some(cpu);
        Ok(round)
    }
}

impl Drop for DriverThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs `job` on every item with `concurrency` jobs in flight; a job answers `Err(why)` for an
/// error. Latency is timed per job.
pub async fn closed_loop<T, F, Fut>(items: Vec<T>, concurrency: usize, job: F) -> Round
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let n = items.len();
    let queue = Arc::new(Mutex::new(items.into_iter()));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let queue = Arc::clone(&queue);
        let job = job.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            loop {
                let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some(item) = next else { break };
                let t = Instant::now();
                let r = job(item).await;
                latencies.push(t.elapsed());
                if let Err(e) = r {
                    errors.push(e);
                }
            }
            (latencies, errors)
        });
    }
    let mut round = Round {
        requests: n,
        ..Round::default()
    };
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok((l, e)) => {
                round.latencies.extend(l);
                round.errors += e.len();
                round.error_samples.extend(
                    e.into_iter()
                        .take(3usize.saturating_sub(round.error_samples.len())),
                );
            }
            Err(e) => {
                round.errors += 1;
                round
                    .error_samples
                    .push(format!("a driver task failed: {e}"));
            }
        }
    }
    round.per_second = n as f64 / started.elapsed().as_secs_f64();
    round.latencies.sort();
    round
}

/// CPU time this process has used so far (user + system, all its threads).
pub fn process_cpu() -> Duration {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time the calling thread has used so far (user + system).
pub fn thread_cpu() -> Duration {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time so far (user + system) of this process's thread named `name`, read from
/// `/proc/self/task/*/stat` (Linux), so to the kernel's clock tick: for totals over many
/// requests, not for one. `None` if there is no such thread or no `/proc`.
pub fn named_thread_cpu(name: &str) -> Option<Duration> {
    let tick = clock_tick()?;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // Fields after the name, which is in parentheses and may hold spaces: state is the
        // first, utime and stime the 12th and 13th (proc(5) numbers them 3, 14 and 15).
        let after_name = stat.get(stat.rfind(')')? + 1..)?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        return Some(tick * u32::try_from(ticks).ok()?);
    }
    None
}

/// The length of the kernel's clock tick, the unit of `/proc`'s CPU times.
fn clock_tick() -> Option<Duration> {
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_second = u32::try_from(per_second).ok().filter(|&n| n > 0)?;
    Some(Duration::from_secs(1) / per_second)
}

/// The machine's CPU time so far, idle and in all, in clock ticks of every core (the first
/// line of `/proc/stat`, Linux): two readings tell how much of the cores sat idle between them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineCpu {
    pub idle: u64,
    pub total: u64,
}

impl MachineCpu {
    pub fn now() -> Option<MachineCpu> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        MachineCpu::parse(stat.lines().next()?)
    }

    /// `cpu  user nice system idle iowait irq softirq steal ...`: idle counts idle and iowait;
    /// the total, the eight fields (guest time is already inside user).
    fn parse(line: &str) -> Option<MachineCpu> {
        let mut words = line.split_whitespace();
        if words.next()? != "cpu" {
            return None;
        }
        let fields = words
            .take(8)
            .map(|w| w.parse::<u64>().ok())
            .collect::<Option<Vec<u64>>>()?;
        Some(MachineCpu {
            idle: fields.get(3)? + fields.get(4)?,
            total: fields.iter().sum(),
        })
    }

    /// What passed from `earlier` to `self`.
    pub fn since(self, earlier: MachineCpu) -> MachineCpu {
        MachineCpu {
            idle: self.idle.saturating_sub(earlier.idle),
            total: self.total.saturating_sub(earlier.total),
        }
    }

    /// The idle share, 0 to 1 (0 when nothing passed).
    pub fn idle_share(self) -> f64 {
        self.idle as f64 / self.total.max(1) as f64
    }
}

/// A CPU-time clock read to the nanosecond. (`getrusage` is no good here: it leaves out the
/// running thread's time since it was last descheduled, which in a busy round can be the whole
/// round.)
fn cpu_clock(clock: libc::clockid_t) -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one `timespec` through a valid pointer to one; the clocks
    // are the calling process's and thread's own, which always exist.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or_default(),
        u32::try_from(t.tv_nsec).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::{closed_loop, payment_order, percentile, MachineCpu};
    use std::time::Duration;

    #[test]
    fn machine_cpu_counts_idle_and_iowait_as_idle() {
        let a = MachineCpu::parse("cpu  100 5 50 1000 20 1 2 3 0 0").unwrap();
        assert_eq!(
            a,
            MachineCpu {
                idle: 1020,
                total: 1181
            }
        );
        let b = MachineCpu::parse("cpu  160 5 70 1080 20 1 2 3 0 0").unwrap();
        let d = b.since(a);
        assert_eq!(
            d,
            MachineCpu {
                idle: 80,
                total: 160
            }
        );
        assert!((d.idle_share() - 0.5).abs() < 1e-9);
        assert_eq!(MachineCpu::parse("cpu0 1 2 3 4 5 6 7 8"), None);
        assert_eq!(MachineCpu::parse("cpu  1 2 x 4 5 6 7 8"), None);
        // This machine's own reading moves on.
        let before = MachineCpu::now().unwrap();
        std::thread::sleep(Duration::from_millis(60));
        assert!(MachineCpu::now().unwrap().since(before).total > 0);
    }

    #[test]
    fn a_named_threads_cpu_time_is_read_while_it_runs() {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let (busy, burnt) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::Builder::new()
            .name("measure-burner".to_owned())
            .spawn(move || {
                // 80 ms of this thread's own CPU, however busy the machine is.
                let start = super::thread_cpu();
                let mut x = 0u64;
                while super::thread_cpu() - start < Duration::from_millis(80) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
                busy.send(()).unwrap();
                wait.recv().unwrap();
            })
            .unwrap();
        burnt.recv().unwrap();
        let cpu = super::named_thread_cpu("measure-burner").unwrap();
        done.send(()).unwrap();
        worker.join().unwrap();
        // To the clock tick (10 ms at most on Linux).
        assert!(cpu >= Duration::from_millis(60), "{cpu:?}");
        assert!(cpu < Duration::from_millis(500), "{cpu:?}");
        assert_eq!(super::named_thread_cpu("no-such-thread"), None);
    }

    #[test]
    fn orders_are_paid_by_order_number_not_as_they_were_made() {
        let made: Vec<String> = ["PS9F", "PS03", "PSC1", "PS3A"]
            .iter()
            .map(|no| no.to_string())
            .collect();
        assert_eq!(payment_order(made), ["PS03", "PS3A", "PS9F", "PSC1"]);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&samples, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&samples, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[tokio::test]
    async fn the_closed_loop_runs_every_item_once_and_counts_errors() {
        let round = closed_loop((0..50).collect(), 4, |i: u32| async move {
            if i.is_multiple_of(10) {
                Err(format!("item {i}"))
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(
            (round.requests, round.latencies.len(), round.errors),
            (50, 50, 5)
        );
        assert!(round.error_samples.len() <= 3 && !round.error_samples.is_empty());
    }

    #[tokio::test]
    async fn the_driver_thread_runs_apart_and_counts_only_its_own_cpu() {
        let driver = super::DriverThread::start().unwrap();
        let here = std::thread::current().id();
        let (there, cpu) = driver
            .run(async {
                // 30 ms of this thread's CPU (however busy the machine is).
                let start = super::thread_cpu();
                let mut x = 0u64;
                while super::thread_cpu() - start < Duration::from_millis(30) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
                std::thread::current().id()
            })
            .await
            .unwrap();
        assert_ne!(there, here);
        assert!(cpu >= Duration::from_millis(30), "{cpu:?}");
        // Waiting is not CPU time.
        let (_, idle) = driver
            .run(tokio::time::sleep(Duration::from_millis(50)))
            .await
            .unwrap();
        assert!(idle < Duration::from_millis(20), "{idle:?}");
    }
}
