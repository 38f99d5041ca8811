/*  clock: real, or simulated for the demo. See clock.h. */
#include "clock.h"

#include <time.h>

static int64_t s_start, s_epoch;
static double s_speed = 1;

void clock_simulate(int64_t start, int64_t epoch, double speed)
{
    s_start = start;
    s_epoch = epoch;
    s_speed = speed < 1 ? 1 : speed;
}

static uint64_t s_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t clock_now_ms(void)
{
    uint64_t real = s_real_ms();
    if (!s_epoch)
        return real;
    return (uint64_t)(s_start + (int64_t)(((double)((int64_t)real - s_epoch)) *
                                          s_speed));
}

uint64_t clock_wait_ms(int64_t at)
{
    int64_t now = (int64_t)clock_now_ms();
    if (at <= now)
        return 0;
    return (uint64_t)((double)(at - now) / s_speed) + 1;
}
