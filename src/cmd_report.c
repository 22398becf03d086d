/* cmd_report.c: 'vethmap report' (being written). */
#include "vethmap.h"

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'report' is not implemented yet");
	return 1;
}
