/* CRC32C (Castagnoli): the checksum of every persisted header and record.
 *
 * Chosen over CRC32 (zlib) because x86-64 (SSE4.2) and arm64 compute it in
 * one instruction per 8 bytes, and it has a better Hamming distance at the
 * record sizes we write. rb_crc32c(0, "123456789", 9) == 0xE3069283 (the
 * standard check value: initial value and final XOR all-ones, reflected).
 * Chaining: rb_crc32c(rb_crc32c(0, a, n), b, m) is the CRC of a then b. */
#ifndef RB_REGISTRY_CRC32C_H
#define RB_REGISTRY_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CRC of buf, continuing crc (0 to start). Uses the CPU's CRC32
 * instruction when rb_crc32c_hw() says so, else rb_crc32c_portable(). */
uint32_t rb_crc32c(uint32_t crc, const void *buf, size_t len);
/* Table-driven slice-by-8; the same results on every CPU. Exposed so that
 * tests check it on machines where the hardware path is the default. */
uint32_t rb_crc32c_portable(uint32_t crc, const void *buf, size_t len);
/* True when rb_crc32c uses the hardware instruction (x86-64 SSE4.2). */
bool rb_crc32c_hw(void);

#endif
