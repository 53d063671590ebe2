#ifndef C_YINGJI_JOB_HOOK_H
#define C_YINGJI_JOB_HOOK_H

#include <stdbool.h>

/// Stores `hook` in the Swift runtime's global-enqueue hook (`swift_task_enqueueGlobal_hook`),
/// through which every job for the global concurrent executor then passes, if no hook is set yet.
/// Returns false, changing nothing, when the runtime has no such hook or another is already set.
///
/// The hook is reached by its symbol at link time, not looked up with dlsym: in a binary linked
/// with `--static-swift-stdlib` the runtime's symbols are not in the dynamic symbol table, so a
/// lookup (as NIO's own take-over does) finds nothing there.
bool yingji_install_enqueue_global_hook(const void *hook);

#endif
