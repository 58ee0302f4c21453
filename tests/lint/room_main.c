/* An empty program: room_link_<room> links every object of one registry
 * room (whole archive) with only the rooms below it, so that a call from
 * the room into a room above it (or beside it) fails to link. */
int main(void)
{
	return 0;
}
