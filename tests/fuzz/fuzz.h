/* Shared declarations of the fuzz targets: the libFuzzer entry point (also
 * driven by replay_main.c without libFuzzer) and the call-handling
 * environment that fuzz_handle and fuzz_record share. */
#ifndef RB_TESTS_FUZZ_H
#define RB_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken invariant: abort, so that libFuzzer (or the replay driver)
 * reports the input that caused it. */
#define FZ_ASSERT(cond)                                                       \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",      \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one call message through rb_handle_call on every transport the
 * environment knows (UDP/TCP over IPv4 and IPv6, AF_LOCAL as root and as
 * a user, remote and loopback peers, policies), applying any mutation and
 * checking the reply's invariants; aborts on a broken invariant. With
 * streams_only, only the stream transports are used (records). */
void fz_handle_message(const uint8_t *msg, size_t len, int streams_only);
/* Restores the registry to its seed entries if a mutation changed it and
 * reclaims retired entries: call at the end of every input. */
void fz_end_input(void);

#endif
