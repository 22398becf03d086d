/* pktmatch.c: the packet matcher of 'vethmap trace' (see trace.h); filled in next. */
#include "trace.h"
