/* verdict: the PASS/FAIL lines of the end-to-end check tools (attack_tool.c,
 * stress.c, rpcb_client.c) and the server figures they read from /proc.
 *
 * The test scripts grep these lines, so every tool must print them the
 * same way; one copy keeps it so. The tools keep their own failure count
 * (vd_vcheck says whether a check failed) so that nothing here is state. */
#ifndef RB_E2E_VERDICT_H
#define RB_E2E_VERDICT_H

#include <stdarg.h>
#include <stdio.h>

/* Prints "PASS: ..." or "FAIL: ..." (one line, flushed): 1 when it failed
 * (ok == 0), else 0. */
__attribute__((format(printf, 2, 0))) int vd_vcheck(int ok, const char *fmt, va_list ap);

/* /proc/PID/FILE opened for reading, NULL when pid <= 0 or it cannot be. */
FILE *vd_proc_open(long pid, const char *file);

/* The resident set of process pid in kB (VmRSS), -1 when unknown (pid <= 0,
 * no such process). */
long vd_rss_kb(long pid);

#endif
