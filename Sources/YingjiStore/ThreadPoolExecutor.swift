import Foundation

/// Threads of their own that run the tasks which prefer them: with one thread, one job at a
/// time in the order they came (the SQLite writer); with several, each takes the next job.
final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false
    private let threads: Int
    private var jobsStarted = 0

    /// Jobs run so far, for tests that check where work ran.
    var jobsRun: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobsStarted
    }

    /// `name` (with "-1", "-2"… when several) names the threads as `top -H` and `perf` show them:
    /// Linux keeps at most 15 bytes of a thread's name and refuses a longer one outright.
    init(name: String, threads: Int = 1) {
        precondition(threads >= 1)
        precondition((threads == 1 ? name : "\(name)-\(threads)").utf8.count <= 15, "线程名过长（Linux 最多 15 字节）：\(name)")
        self.threads = threads
        // Each thread holds the executor until stop(): a job may still be queued when the last
        // reference elsewhere goes.
        for index in 0..<threads {
            startNamedThread(threads == 1 ? name : "\(name)-\(index + 1)") { self.loop() }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        guard !stopped else {
            condition.unlock()
            // After stop (a read resuming from the network as the store closes): on a thread of
            // its own, so the task ends, with an error from the closed store, instead of hanging.
            Thread { job.runSynchronously(on: self.asUnownedTaskExecutor()) }.start()
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let ready: [UnownedJob]
            if threads == 1 {
                ready = jobs
                jobs = []
            } else {
                ready = [jobs.removeFirst()]
            }
            jobsStarted += ready.count
            condition.unlock()
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}

/// Starts a thread that runs `body` under `name`, and returns once it carries the name (so nobody
/// looking at the process sees it without).
func startNamedThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    let started = DispatchSemaphore(value: 0)
    let thread = Thread {
        nameThisThread(name)
        started.signal()
        body()
    }
    thread.start()
    started.wait()
}

/// Names the calling thread as the system shows it (`top -H`, `perf`, /proc/…/comm). Foundation's
/// `Thread.name` does not reach the system's name on Linux; Linux keeps at most 15 bytes.
private func nameThisThread(_ name: String) {
    #if os(Linux)
    // What pthread_setname_np does (Swift does not see it: a GNU extension).
    try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
    #else
    _ = pthread_setname_np(name)
    #endif
}
