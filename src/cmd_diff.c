/* cmd_diff.c: 'vethmap diff' (being written). */
#include "vethmap.h"

int cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'diff' is not implemented yet");
	return 1;
}
