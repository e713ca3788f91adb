/*
 * event_log.c - event_set_log_callback, alone in its object.
 *
 * Programs that carry libevent 1.4's log.c (every user of its evdns.c or
 * evutil.c) define event_set_log_callback themselves. Kept apart from
 * event.c, this definition is linked only when the program has none: a
 * static link then takes the program's (no duplicate definition), a shared
 * one lets it interpose, and event.c sends its messages through log.c's
 * functions instead (see log_msg there).
 */

/* event.h's event_log_cb; the header is event.c's (this object has none). */
typedef void (*shim_log_cb)(int severity, const char *msg);

extern shim_log_cb ev__event_log_fn; /* event.c */

void event_set_log_callback(shim_log_cb cb);

void event_set_log_callback(shim_log_cb cb)
{
    ev__event_log_fn = cb;
}
