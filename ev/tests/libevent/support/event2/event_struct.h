/* Stand-in for libevent's <event2/event_struct.h> in ev's runs of libevent's own tests: see le2_compat.h. */
#include "../le2_compat.h"
