/*  residents: the words and mixes of the simulated community. See
 *  residents.h.
 *
 *  1. A template names the compound as {c} and the stairwell as {s}; one
 *     without {s} is about the compound as a whole.
 *  2. The texts use the words residents use, so the keywords of the
 *     default categories (deploy/juli.ini) find most of them when a
 *     request comes without a category; some they miss, and those wait in
 *     triage for staff, as in life.
 *  3. The dice are splitmix64 over an FNV-1a hash of the event's name.
 */
#include "residents.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* -- the dice -------------------------------------------------------------- */

void dice_seed(dice_t *d, uint64_t seed, const char *what, const char *of,
               int64_t n)
{
    char text[160];
    int len = snprintf(text, sizeof text, "%" PRIu64 ":%s:%s:%" PRId64, seed,
                       what, of, n);
    size_t used = len < 0 ? 0 : (size_t)len;
    d->s = ctl_fnv(text, used < sizeof text ? used : sizeof text - 1);
}

static uint64_t s_next(dice_t *d)
{
    uint64_t z = (d->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

double dice_unit(dice_t *d)
{
    return (double)(s_next(d) >> 11) * 0x1.0p-53;
}

double dice_range(dice_t *d, double lo, double hi)
{
    return lo + (hi - lo) * dice_unit(d);
}

size_t dice_below(dice_t *d, size_t n)
{
    return (size_t)(s_next(d) % n);
}

size_t dice_weighted(dice_t *d, const double *w, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    double x = dice_unit(d) * sum;
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

unsigned dice_poisson(dice_t *d, double mean)
{
    /* Knuth's: multiply uniforms until below e^-mean; means are small. */
    double limit = exp(-(mean < 1000 ? mean : 1000)), p = 1;
    unsigned k = 0;
    while ((p *= dice_unit(d)) > limit && k < 10000)
        k++;
    return k;
}

/* -- when and how they ask ------------------------------------------------- */

double residents_rhythm(int hour)
{
    static const double w[24] = {
        0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.5, 3.0, 3.0, 2.5,
        1.5, 1.5, 2.0, 2.5, 2.5, 2.0, 1.5, 2.0, 2.0, 1.5, 0.8, 0.4,
    };
    double sum = 0;
    for (size_t i = 0; i < 24; i++)
        sum += w[i];
    return hour >= 0 && hour < 24 ? w[hour] * 24 / sum : 1;
}

const char *residents_channel(dice_t *d)
{
    static const char *const channels[] = {"app", "hotline", "walk_in",
                                           "grid_worker"};
    static const double w[] = {45, 25, 12, 18};
    return channels[dice_weighted(d, w, COUNT(w))];
}

int residents_urgency(dice_t *d)
{
    static const double w[] = {85, 12, 3};
    return 1 + (int)dice_weighted(d, w, COUNT(w));
}

void residents_reporter(dice_t *d, char name[32], char phone[16])
{
    static const char *const surnames[] = {
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴",
        "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"};
    static const char *const titles[] = {"先生", "女士", "阿姨", "大爷",
                                         "师傅"};
    static const char prefixes[] = "35789";
    snprintf(name, 32, "%s%s", surnames[dice_below(d, COUNT(surnames))],
             titles[dice_below(d, COUNT(titles))]);
    snprintf(phone, 16, "1%c%09u", prefixes[dice_below(d, 5)],
             (unsigned)dice_below(d, 1000000000));
}

/* -- what they say --------------------------------------------------------- */

typedef struct {
    const char *category;
    double weight;          /* how often, relative to the others */
    const char *texts[9];   /* NULL-terminated */
    const char *results[3]; /* NULL-terminated */
} s_topic_t;

static const s_topic_t s_topics[] = {
    {"sanitation", 22,
     {"{c}{s}楼道堆放垃圾很久没人清扫",
      "{c}{s}门口的垃圾桶满了好几天，异味很大",
      "{c}{s}下水道堵了，污水漫到路上",
      "{c}绿化带被人挖了种菜，希望处理",
      "{c}{s}楼道里有人堆放杂物，影响通行",
      "{c}里的垃圾清运不及时，夏天有异味",
      "{c}{s}楼梯间卫生太差，好久没有清扫",
      "{c}{s}有住户在楼道里养鸡，气味难闻", NULL},
     {"已组织志愿者清扫，楼道杂物已清理", "已联系环卫清运，垃圾已清走",
      NULL}},
    {"safety", 6,
     {"{c}{s}楼道里堆了很多纸箱，存在消防隐患",
      "{c}车棚的电动车被偷了两辆，希望加强巡逻",
      "{c}晚上有可疑人员在小区里转悠",
      "{c}{s}有人在楼道里给电动车充电，消防隐患大",
      "{c}门口夜市有人打架，请派人看看",
      "{c}{s}楼下的消防通道被私家车堵住了",
      "{c}的监控坏了很久，最近发生盗窃", NULL},
     {"已排查隐患，并加强了夜间巡逻", "已清理杂物，消防通道已畅通", NULL}},
    {"dispute", 9,
     {"{c}{s}楼上楼下因为漏水起了纠纷，请帮忙调解",
      "{c}{s}楼上邻居晚上噪音太大，沟通无果",
      "{c}两户人家因为停车位吵架，需要调解",
      "{c}{s}邻居之间因为公共区域堆物发生争执",
      "{c}{s}老人和子女有矛盾，希望社区帮忙调解",
      "{c}晚上广场舞音响噪音扰民，双方有矛盾", NULL},
     {"经和事佬协会调解，双方达成一致", "已上门调解，双方签了调解协议",
      NULL}},
    {"property", 14,
     {"{c}{s}电梯又坏了，老人上下楼很不方便",
      "{c}{s}楼顶漏水，物业一直不来修",
      "{c}的门禁坏了，外人随便进出",
      "{c}{s}地下室的水管爆了",
      "{c}里乱停车严重，物业也不管",
      "{c}{s}楼道灯不亮了，找物业没人理", NULL},
     {"已联系物业维修完毕", "物业已派人修好，并承诺定期检查", NULL}},
    {"facility", 11,
     {"{c}门口的路灯坏了一个多月，晚上很黑",
      "{c}旁边道路上的井盖松动了，很危险",
      "{c}的健身器材破损了，锻炼时有危险",
      "{c}前面的道路坑洼不平，下雨就积水",
      "{c}里的休息座椅破损了，希望更换",
      "{c}附近公交站的设施损坏，请协调维修", NULL},
     {"已协调相关单位修复", "已更换破损设施，恢复使用", NULL}},
    {"elderly", 10,
     {"{c}{s}有位独居老人几天没出门了，请去看看",
      "{c}{s}的空巢老人需要定期上门探望",
      "{c}{s}的老人腿脚不便，想申请助老服务",
      "{c}有老年人想办理养老认证，不会用手机",
      "{c}{s}独居老人家里的灯泡坏了，需要帮忙更换",
      "{c}希望社区组织老人免费体检", NULL},
     {"已上门探望老人，并安排了助老服务", "志愿者已上门帮老人办好", NULL}},
    {"youth", 4,
     {"{c}暑假孩子没人看管，希望有托管辅导",
      "{c}附近网吧有未成年人进出",
      "{c}{s}留守学生学习跟不上，想找志愿者辅导",
      "{c}希望社区给青少年组织安全教育活动",
      "{c}的孩子放学后在马路上玩，很危险", NULL},
     {"已安排志愿者每周上门辅导", "已联系学校和家长，做好安全教育", NULL}},
    {"family", 3,
     {"{c}{s}家里老人去世，请红白理事会帮忙操办丧事",
      "{c}{s}想咨询生育登记怎么办理",
      "{c}{s}办婚礼想在小区里搭棚，需要协调",
      "{c}{s}计生家庭特别扶助怎么申请", NULL},
     {"已协助办理相关手续", "红白理事会已上门协助，按新风办理", NULL}},
    {"culture", 5,
     {"{c}想组织一场重阳节文艺演出",
      "{c}的广场舞队想借用社区活动室",
      "{c}居民想组织乒乓球比赛，需要场地",
      "{c}希望社区开设书法和体育兴趣班",
      "{c}老年合唱团想参加镇里的演出", NULL},
     {"已协调场地，活动顺利举办", "已报名参加，并安排了排练时间", NULL}},
    {"poverty_aid", 4,
     {"{c}{s}住户生病住院，家庭困难，申请救助",
      "{c}{s}想咨询低保怎么申请",
      "{c}{s}残疾人家庭生活困难，需要帮扶",
      "{c}{s}困难户家里漏雨，需要帮扶修缮",
      "{c}{s}贫困学生想申请助学帮扶", NULL},
     {"已上门核实情况，协助申请救助", "已纳入帮扶台账，结对党员定期走访",
      NULL}},
    {"mutual_aid", 8,
     {"{c}{s}老人行动不便，想找人帮忙代买药品",
      "{c}{s}需要志愿者陪同老人去医院复查",
      "{c}{s}家里水龙头坏了，想找人帮忙维修",
      "{c}{s}邻居出差，想请人帮忙照看花草",
      "{c}想组织邻里互助小组，轮流接送孩子", NULL},
     {"志愿者已上门帮忙", "已安排党员志愿者结对帮扶", NULL}},
    {"other", 4,
     {"{c}想了解社区党员服务站的开放时间",
      "{c}{s}咨询居住证办理需要什么材料",
      "{c}建议在小区门口设置快递柜",
      "{c}希望社区公布一下最近的活动安排", NULL},
     {"已答复居民", NULL}},
};

static const char *const s_findings[] = {
    "巡查发现{c}{s}楼道清洁不到位，堆有杂物",
    "巡查发现{c}绿化带有毁绿种菜现象",
    "巡查发现{c}{s}楼道乱贴小广告，卫生差",
    "巡查发现{c}垃圾桶周边卫生差，有异味",
    "巡查发现{c}{s}楼道堆放旧家具，影响通行",
    NULL,
};

static const s_topic_t *s_topic(const char *category)
{
    for (size_t i = 0; i < COUNT(s_topics); i++)
        if (strcmp(s_topics[i].category, category) == 0)
            return &s_topics[i];
    return NULL;
}

/* How many of the NULL-terminated LIST there are. */
static size_t s_count(const char *const *list)
{
    size_t n = 0;
    while (list[n])
        n++;
    return n;
}

const char *residents_category(dice_t *d, const config_t *cfg)
{
    double w[COUNT(s_topics)];
    double sum = 0;
    for (size_t i = 0; i < COUNT(s_topics); i++) {
        const char *c = s_topics[i].category;
        w[i] = config_category(cfg, c, strlen(c)) ? s_topics[i].weight : 0;
        sum += w[i];
    }
    if (sum == 0)
        return NULL;
    return s_topics[dice_weighted(d, w, COUNT(w))].category;
}

/* Writes TPL into OUT with {c} and {s} filled in. */
static void s_fill(const char *tpl, const char *compound,
                   const char *stairwell, char *out, size_t size,
                   int *at_stairwell)
{
    size_t n = 0;
    *at_stairwell = 0;
    out[0] = '\0';
    for (const char *p = tpl; *p && n + 1 < size;) {
        const char *with = NULL;
        if (strncmp(p, "{c}", 3) == 0)
            with = compound;
        else if (strncmp(p, "{s}", 3) == 0) {
            with = stairwell;
            *at_stairwell = 1;
        }
        if (with) {
            int w = snprintf(out + n, size - n, "%s", with);
            n = w < 0 ? n : n + (size_t)w < size ? n + (size_t)w : size - 1;
            p += 3;
        } else
            out[n++] = *p++;
    }
    out[n] = '\0';
}

void residents_text(dice_t *d, const char *category, const char *compound,
                    const char *stairwell, char *out, size_t size,
                    int *at_stairwell)
{
    const s_topic_t *t = s_topic(category);
    const char *tpl = "{c}{s}有事想请社区帮忙";
    if (t)
        tpl = t->texts[dice_below(d, s_count(t->texts))];
    s_fill(tpl, compound, stairwell, out, size, at_stairwell);
}

void residents_finding(dice_t *d, const char *compound,
                       const char *stairwell, char *out, size_t size,
                       int *at_stairwell)
{
    s_fill(s_findings[dice_below(d, s_count(s_findings))], compound,
           stairwell, out, size, at_stairwell);
}

/* -- what staff and units answer ------------------------------------------ */

const char *residents_result(dice_t *d, const char *category)
{
    const s_topic_t *t = s_topic(category);
    if (!t)
        return "已处理完毕";
    return t->results[dice_below(d, s_count(t->results))];
}

const char *residents_decline(dice_t *d)
{
    static const char *const reasons[] = {
        "本单位近期人手紧张，无法承接", "该事项不在本单位服务范围内",
        "承接任务已满，请转派其他单位", "负责同志外出学习，暂时无法处理"};
    return reasons[dice_below(d, COUNT(reasons))];
}

const char *residents_followup(dice_t *d, const char *satisfaction)
{
    static const char *const satisfied[] = {"居民表示满意",
                                            "居民对处理结果很满意，感谢社区"};
    static const char *const basically[] = {"居民表示基本满意，希望更及时",
                                            "居民基本满意，提了改进意见"};
    if (strcmp(satisfaction, "unsatisfied") == 0)
        return "居民表示问题没有解决，要求重新处理";
    if (strcmp(satisfaction, "basically") == 0)
        return basically[dice_below(d, COUNT(basically))];
    return satisfied[dice_below(d, COUNT(satisfied))];
}

const char *residents_complaint(dice_t *d)
{
    static const char *const complaints[] = {
        "居民投诉：问题又出现了，要求重新处理",
        "居民来电反映处理不彻底"};
    return complaints[dice_below(d, COUNT(complaints))];
}
