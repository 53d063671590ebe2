import CYingjiJobHook
import NIOCore
import NIOPosix

/// Moves Swift Concurrency's jobs for the global executor onto NIO's event loops (the singleton
/// group the server's sockets are served on), so a request's handler does not hop from its
/// socket's thread to the concurrency pool and back. A job queued from an event loop's thread
/// stays on that loop; one queued from elsewhere goes to the group's next loop.
///
/// NIO offers the same (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`),
/// but finds the runtime's hook with `dlsym`, which in a binary built with
/// `--static-swift-stdlib` (the release build, docs/operations.md) finds nothing: the jobs then
/// stayed on the default pool. The hook is set here through its symbol (`CYingjiJobHook`), with
/// the same enqueue NIO uses (`EventLoop.enqueue(_:)`, which a `SelectableEventLoop` implements
/// without allocating a closure per job).
enum EventLoopJobs {
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Installs the hook, once per process; false (and nothing changed) when the runtime has no
    /// hook or one is already set, or the compiler is newer than those whose hook NIO's take-over
    /// was checked against (the hook's layout is the runtime's, not a promise).
    static func install() -> Bool {
        #if compiler(<6.6)
        let hook: EnqueueGlobalHook = { job, _ in
            MultiThreadedEventLoopGroup.singleton.any().enqueue(ExecutorJob(job))
        }
        return withUnsafeBytes(of: hook) { bytes in
            yingji_install_enqueue_global_hook(bytes.load(as: UnsafeRawPointer.self))
        }
        #else
        return false
        #endif
    }

    /// Whether a new task's job runs on one of NIO's event loops (true once `install` has worked).
    static func tasksRunOnEventLoops() async -> Bool {
        await Task { MultiThreadedEventLoopGroup.currentEventLoop != nil }.value
    }
}
