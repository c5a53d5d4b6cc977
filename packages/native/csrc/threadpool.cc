// Persistent thread pool with a low-latency dispatch path.
//
// Design
// - Workers are std::threads that live until the pool is resized or the process exits. A job is published by
//   bumping a generation counter; idle workers first spin on that counter (so back-to-back parallel_for calls,
//   which the transformer issues thousands of times per second, cost a few hundred nanoseconds to dispatch), and
//   only after ~kSpinIters polls fall asleep on a condition variable (so an idle process does not burn CPU).
// - Tasks are claimed dynamically with an atomic counter. Which thread runs a task therefore varies from run to
//   run, which is fine because a task's arithmetic may only depend on its index (the documented contract).
// - The caller participates as thread 0. Workers must *join* a job before touching it (one CAS on a control word
//   holding generation | closed flag | number of joined workers). After running out of tasks the caller closes
//   the job and waits only for the workers that joined. So a worker that is descheduled (the machine is shared
//   with other processes, and Node has its own threads) never delays a job it did not join, the job description
//   (on the caller's stack) is never touched after parallel_for returns, and a late worker cannot join a
//   finished job or confuse the next job's counters with this one's.
// - Nested calls (from inside a task) and calls while another thread is dispatching run serially on the calling
//   thread; the thread index passed on is the caller's own, so per-thread scratch stays exclusive.
// - Exceptions thrown by a task are captured and rethrown on the calling thread after the job finishes.
// - A static destructor stops and joins the workers; they are always parked (spinning or waiting) between jobs,
//   so this cannot hang, and no worker outlives the pool object it references.
#include "threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax() { asm volatile("yield" ::: "memory"); }
#else
static inline void cpu_relax() {}
#endif

namespace gh {
namespace {

// Per-thread state: whether this thread is currently running a pool task, and its thread index in that case.
thread_local bool t_in_task = false;
thread_local int t_index = 0;

// Spin budget before a worker parks on the condition variable (each iteration is one `pause`, ~10-40 ns on
// current x86): roughly 0.2-0.6 ms, long enough to cover the gaps between consecutive kernel launches.
constexpr int kSpinIters = 1 << 14;
// The caller's wait for joined workers: spin briefly, then yield so a descheduled worker on an oversubscribed
// machine gets the core back quickly.
constexpr int kWaitSpinIters = 1 << 12;

struct Job {
  const std::function<void(int64_t, int)>* fn = nullptr;
  int64_t tasks = 0;
  int64_t chunk = 1;  // tasks claimed per atomic increment
};

class Pool {
 public:
  ~Pool() { stop_workers(); }

  int threads() const { return nthreads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    if (t_in_task) return;  // resizing from inside a task would deadlock on dispatch_mu_; ignore it
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);  // never resize under a running job
    if (n == nthreads_.load()) return;
    stop_workers();
    nthreads_.store(n);
    stop_.store(false);
    workers_.reserve(n - 1);
    // Workers start from the current generation (stable: we hold dispatch_mu_), so a job published before a new
    // thread gets scheduled is not missed.
    const uint64_t g0 = ctl_.load() >> kGenShift;
    for (int i = 1; i < n; i++) workers_.emplace_back([this, i, g0] { worker_main(i, g0); });
  }

  void run(int64_t tasks, const std::function<void(int64_t, int)>& fn) {
    if (tasks <= 0) return;
    const int nt = threads();
    // Serial paths: nested call, single thread or single task.
    if (t_in_task || nt <= 1 || tasks == 1) {
      run_serial(tasks, fn);
      return;
    }
    // Another (non-pool) thread dispatching concurrently waits its turn: running it serially instead would hand
    // out thread index 0 twice at the same time and break the per-thread scratch contract.
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);

    job_.fn = &fn;
    job_.tasks = tasks;
    job_.chunk = std::max<int64_t>(1, tasks / (4 * int64_t(nt)));
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    // Open the job (new generation, not closed, nobody joined). Release: a worker that joins (acquire CAS on
    // ctl_) sees the job fields written above.
    const uint64_t gen = (ctl_.load(std::memory_order_relaxed) >> kGenShift) + 1;
    ctl_.store(gen << kGenShift, std::memory_order_release);
    // Wake: seq_cst pairs with the worker's seq_cst sleepers_ increment / ctl_ re-check (Dekker-style), so either
    // we see a sleeper and notify it, or it sees the new generation before it waits.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lk(sleep_mu_); }  // a worker between "check" and "wait" holds this lock
      sleep_cv_.notify_all();
    }

    work_on_job(0);

    // All tasks are claimed. Close the job so that no more workers join, then wait for those that did (their
    // claimed tasks may still be running).
    uint64_t c = ctl_.fetch_or(kClosed, std::memory_order_acq_rel) | kClosed;
    int spins = 0;
    while ((c & kActiveMask) != 0) {
      if (++spins < kWaitSpinIters) cpu_relax();
      else std::this_thread::yield();
      c = ctl_.load(std::memory_order_acquire);
    }
    job_.fn = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  void run_serial(int64_t tasks, const std::function<void(int64_t, int)>& fn) {
    const bool was = t_in_task;
    t_in_task = true;
    const int idx = t_index;  // 0 on an outside thread, the worker's index when nested
    try {
      for (int64_t t = 0; t < tasks; t++) fn(t, idx);
    } catch (...) {
      t_in_task = was;
      throw;
    }
    t_in_task = was;
  }

  // Claims and runs tasks of the current job until none is left.
  void work_on_job(int index) {
    const std::function<void(int64_t, int)>& fn = *job_.fn;
    const int64_t tasks = job_.tasks;
    t_in_task = true;
    // Claim tasks in chunks: every claim moves the counter's cache line between cores (~100 ns), which would
    // dominate for many tiny tasks. A quarter of the fair share per claim still leaves room for balancing.
    const int64_t chunk = job_.chunk;
    for (;;) {
      const int64_t t0 = next_.fetch_add(chunk, std::memory_order_relaxed);
      if (t0 >= tasks) break;
      const int64_t t1 = std::min(tasks, t0 + chunk);
      for (int64_t t = t0; t < t1; t++) {
        try {
          fn(t, index);
        } catch (...) {
          std::lock_guard<std::mutex> lk(error_mu_);
          if (!error_) error_ = std::current_exception();
        }
      }
    }
    t_in_task = false;
  }

  static uint64_t gen_of(uint64_t c) { return c >> kGenShift; }

  void worker_main(int index, uint64_t seen) {
    t_index = index;
    for (;;) {
      uint64_t c = 0;
      bool fresh = false;
      for (int i = 0; i < kSpinIters; i++) {
        c = ctl_.load(std::memory_order_acquire);
        fresh = gen_of(c) != seen;
        if (fresh || stop_.load(std::memory_order_relaxed)) break;
        cpu_relax();
      }
      if (!fresh && !stop_.load(std::memory_order_relaxed)) {
        std::unique_lock<std::mutex> lk(sleep_mu_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        sleep_cv_.wait(lk, [&] {
          return gen_of(ctl_.load(std::memory_order_seq_cst)) != seen || stop_.load(std::memory_order_seq_cst);
        });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        c = ctl_.load(std::memory_order_acquire);
      }
      if (stop_.load(std::memory_order_acquire)) return;
      seen = gen_of(c);
      // Join the job unless it is already closed (or superseded: then the CAS fails on the generation bits).
      bool joined = false;
      while (gen_of(c) == seen && !(c & kClosed)) {
        if (ctl_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
          joined = true;
          break;
        }
      }
      if (!joined) continue;
      work_on_job(index);
      ctl_.fetch_sub(1, std::memory_order_release);  // leave: publishes this worker's writes to the caller
    }
  }

  void stop_workers() {
    if (workers_.empty()) return;
    stop_.store(true, std::memory_order_seq_cst);
    {
      std::lock_guard<std::mutex> lk(sleep_mu_);
    }
    sleep_cv_.notify_all();
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
    workers_.clear();
  }

  std::atomic<int> nthreads_{1};
  std::vector<std::thread> workers_;
  std::mutex dispatch_mu_;  // one job at a time

  // ctl_ layout: [generation : 40 bits][closed : 1 bit][joined workers : 23 bits].
  static constexpr int kGenShift = 24;
  static constexpr uint64_t kClosed = uint64_t(1) << 23;
  static constexpr uint64_t kActiveMask = kClosed - 1;

  Job job_;
  alignas(64) std::atomic<uint64_t> ctl_{0};
  alignas(64) std::atomic<int64_t> next_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::mutex error_mu_;
  std::exception_ptr error_;
};

// Function-local static: constructed on first use, destroyed (workers joined) at exit.
Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void set_threads(int n) { pool().resize(std::min(256, std::max(1, n))); }

int threads() { return pool().threads(); }

bool in_parallel_task() { return t_in_task; }

void parallel_for(int64_t tasks, const std::function<void(int64_t task, int thread)>& fn) { pool().run(tasks, fn); }

void parallel_range(int64_t n, int64_t grain,
                    const std::function<void(int64_t begin, int64_t end, int thread)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  // At most threads() chunks, each of at least `grain` items (except when n < grain: one chunk), sizes differing
  // by at most one. Nested calls get a single chunk.
  int64_t chunks = t_in_task ? 1 : std::min<int64_t>(threads(), n / grain);
  if (chunks < 1) chunks = 1;
  if (chunks == 1) {
    if (t_in_task) {
      fn(0, n, t_index);
    } else {
      parallel_for(1, [&](int64_t, int thread) { fn(0, n, thread); });
    }
    return;
  }
  const int64_t base = n / chunks, rem = n % chunks;
  parallel_for(chunks, [&](int64_t c, int thread) {
    const int64_t begin = c * base + std::min(c, rem);
    const int64_t end = begin + base + (c < rem ? 1 : 0);
    fn(begin, end, thread);
  });
}

}  // namespace gh
