/*  points: the rule that turns service into points (积分).
 *
 *    task       hours × per_hour + (difficulty + professional + satisfied)
 *                                  × urgency
 *    volunteer  hours × per_hour
 *
 *  where difficulty, urgency, professional and satisfied are the configured
 *  values for the task's difficulty (1..3), urgency (1..3), whether it
 *  needed professional skill, and whether the follow-up visit found the
 *  resident satisfied. The result is rounded once, half away from zero.
 *  Products like 1.2 × 15 are not exact in binary floating point, so the sum
 *  is first rounded to a millionth: 17.999999999999996 is 18, and a true
 *  half (7.5) rounds to 8, never to 7 by a stray last bit.
 */
#include <math.h>

#include "scoring.h"

static int64_t s_round(double v)
{
    double clean = round(v * 1e6) / 1e6;
    return (int64_t)round(clean); /* round(): half away from zero */
}

int64_t points_task(const config_points_t *rule, double hours,
                    int difficulty, int urgency, int professional,
                    int satisfied)
{
    double quality = rule->difficulty[difficulty - 1] +
                     (professional ? rule->professional : 0) +
                     (satisfied ? rule->satisfied : 0);
    return s_round(hours * rule->per_hour +
                   quality * rule->urgency[urgency - 1]);
}

int64_t points_volunteer(const config_points_t *rule, double hours)
{
    return s_round(hours * rule->per_hour);
}
