/* An empty program. Linked with the whole of one room's library (every
 * object in it, not only those something asks for) and the rooms below
 * it: the link fails when any code of the room calls into a room above it
 * or a sibling (tests/arch/arch.cmake, arch_link_*). */
int main(void)
{
	return 0;
}
