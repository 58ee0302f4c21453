/* Happens-before annotations for ThreadSanitizer.
 *
 * Concurrency Kit's ck_hs and ck_epoch run inside libck.so, which is not
 * instrumented, so TSan cannot see that publishing an entry through ck_hs
 * orders its initialisation before a reader's use, nor that an epoch grace
 * period orders a reader's last use before the writer's free. These
 * annotations state exactly those two edges; outside TSan builds they
 * compile to nothing. */
#ifndef RB_REGISTRY_TSAN_H
#define RB_REGISTRY_TSAN_H

#if defined(RB_TSAN)
#include <sanitizer/tsan_interface.h>
#define RB_TSAN_RELEASE(p) __tsan_release((void *)(uintptr_t)(p))
#define RB_TSAN_ACQUIRE(p) __tsan_acquire((void *)(uintptr_t)(p))
#else
#define RB_TSAN_RELEASE(p) ((void)0)
#define RB_TSAN_ACQUIRE(p) ((void)0)
#endif

#endif
