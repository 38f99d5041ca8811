/*  notify: sd_notify and the watchdog timer. See notify.h. */
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "log.h"

struct notify {
    uv_timer_t timer;
};

static void s_on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

notify_t *notify_new(uv_loop_t *loop)
{
    notify_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        uint64_t ms = usec / 2000;
        uv_timer_start(&self->timer, s_on_watchdog, ms ? ms : 1,
                       ms ? ms : 1);
        log_info("watchdog every %llu ms", (unsigned long long)ms);
    }
    return self;
}

void notify_ready(notify_t *self, const char *status)
{
    (void)self;
    char line[256];
    snprintf(line, sizeof line, "READY=1\nSTATUS=%s", status);
    sd_notify(0, line);
}

void notify_stopping(notify_t *self)
{
    uv_timer_stop(&self->timer);
    sd_notify(0, "STOPPING=1");
}

static void s_on_closed(uv_handle_t *h)
{
    free(h->data);
}

void notify_destroy(notify_t **self_p)
{
    if (!*self_p)
        return;
    uv_close((uv_handle_t *)&(*self_p)->timer, s_on_closed);
    *self_p = NULL;
}
