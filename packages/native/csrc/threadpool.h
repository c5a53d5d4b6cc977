// A small persistent thread pool. Work is split into tasks; each task's result must not depend on which thread
// runs it, so results are identical for a fixed thread count (and, where a task's arithmetic does not depend on
// the split, for any thread count).
#pragma once
#include <cstdint>
#include <functional>

namespace gh {

// Number of threads used by parallel_for (the caller's thread counts as one). Clamped to [1, 256].
void set_threads(int n);
int threads();

// Runs fn(task, thread) for task in [0, tasks). Blocks until every task is done. `thread` is in [0, threads())
// and identifies per-thread scratch. Calls made from inside a running task run serially on that thread.
void parallel_for(int64_t tasks, const std::function<void(int64_t task, int thread)>& fn);

// True while the calling thread is executing a parallel_for task (including the serial single-thread path).
// sgemm uses it to run single-threaded, with the current thread's scratch, when called from inside a task.
bool in_parallel_task();

// Splits [0, n) into contiguous chunks of at least `grain` items and runs fn(begin, end, thread) on each.
void parallel_range(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end, int thread)>& fn);

}  // namespace gh
