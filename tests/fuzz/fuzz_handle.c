/* Fuzz target: one RPC call message (a UDP datagram or a reassembled
 * record) through rb_handle_call on every transport, mutations applied. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	fz_handle_message(data, size, 0);
	fz_end_input();
	return 0;
}
