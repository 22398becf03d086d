/* cmd_graph.c: 'vethmap graph' (being written). */
#include "vethmap.h"

int cmd_graph(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'graph' is not implemented yet");
	return 1;
}
