#include "CYingjiJobHook.h"

#include <stddef.h>

// Defined by the Swift runtime (libswift_Concurrency), shared or static. Weak, so a runtime
// without it leaves the address null instead of failing to link.
extern const void *swift_task_enqueueGlobal_hook __attribute__((weak));

bool yingji_install_enqueue_global_hook(const void *hook) {
    if (&swift_task_enqueueGlobal_hook == NULL || hook == NULL) return false;
    const void *expected = NULL;
    return __atomic_compare_exchange_n(&swift_task_enqueueGlobal_hook, &expected, hook, false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
