/*  notify: telling systemd how the daemon is doing (sd_notify).
 *
 *  READY=1 once the store is open and the sockets are bound; WATCHDOG=1
 *  from a timer on the daemon's own loop (never a helper thread, which
 *  would hide a stuck loop), at half the WatchdogSec systemd asked for;
 *  STOPPING=1 on shutdown. Outside systemd every call is a no-op. A
 *  notify_t owns its timer; its memory goes in the timer's close callback.
 */
#ifndef JULI_NOTIFY_H
#define JULI_NOTIFY_H

#include <uv.h>

typedef struct notify notify_t;

/* Creates the notifier on LOOP; starts the watchdog timer when systemd
 * enabled the watchdog for this process. Returns NULL when out of memory. */
notify_t *notify_new(uv_loop_t *loop);

/* Sends READY=1 with a STATUS line. */
void notify_ready(notify_t *self, const char *status);

/* Sends STOPPING=1 and stops the watchdog. */
void notify_stopping(notify_t *self);

/* Closes the timer (memory freed in its close callback). NULL is fine;
 * *SELF_P is set to NULL. */
void notify_destroy(notify_t **self_p);

#endif
