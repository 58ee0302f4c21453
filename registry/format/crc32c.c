#include "registry/format/crc32c.h"

#include <string.h>

#include "registry/format/crc32c_table.h"

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint32_t rb_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	const uint32_t(*t)[256] = rb_crc32c_table;
	uint32_t c = ~crc;

	/* Slice-by-8: eight table lookups fold 8 bytes per step. The words
	 * are assembled byte by byte, so the result does not depend on the
	 * host's byte order or on alignment. */
	while (len >= 8) {
		uint32_t lo = c ^ le32(p), hi = le32(p + 4);
		c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
		    t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
		    t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
		    t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RB_CRC32C_X86 1

/* Compiled for SSE4.2 whatever the build's -march; only called after the
 * runtime check below. */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = ~crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8); /* aligned here; memcpy keeps UBSan quiet */
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#endif

bool rb_crc32c_hw(void)
{
#ifdef RB_CRC32C_X86
	/* Reads the CPU model that libgcc/compiler-rt fill in at start-up;
	 * a load and a test, cheap enough to do per call, and it keeps this
	 * module free of state of its own. */
	return __builtin_cpu_supports("sse4.2");
#else
	return false;
#endif
}

uint32_t rb_crc32c(uint32_t crc, const void *buf, size_t len)
{
#ifdef RB_CRC32C_X86
	if (rb_crc32c_hw())
		return crc32c_sse42(crc, buf, len);
#endif
	return rb_crc32c_portable(crc, buf, len);
}
