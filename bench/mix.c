/*  mix: the community and the request bodies. See mix.h. */
#include "mix.h"

#include <stdio.h>
#include <string.h>

#define MIX_GRIDS     4
#define MIX_COMPOUNDS 2 /* per grid */
#define MIX_STAIRS    4 /* per compound */
#define MIX_MEMBERS   60

static const char *const s_grid_names[MIX_GRIDS] = {"第一网格", "第二网格",
                                                    "第三网格", "第四网格"};
static const char *const s_compound_names[MIX_GRIDS * MIX_COMPOUNDS] = {
    "铁路新村", "站前小区", "幸福里", "和平苑",
    "光明花园", "建设新村", "春晖苑", "东方名邸"};
static const char *const s_surnames[] = {"张", "王", "李", "赵", "刘",
                                         "陈", "杨", "黄", "周", "吴"};

/* A complaint: its text (with %d for a building) and the category its
 * keywords suggest. */
static const struct {
    const char *text, *category;
} s_texts[] = {
    {"%d号楼楼道堆放垃圾很久没人清扫，气味很大", "sanitation"},
    {"小区%d栋电梯经常停运，物业一直没有处理", "property"},
    {"%d单元楼下的路灯坏了好几天，晚上出行很不方便", "facility"},
    {"邻居家装修噪音太大，%d次沟通无果，希望社区调解", "dispute"},
    {"%d号楼有独居老人行动不便，需要定期上门探望", "elderly"},
    {"小区车棚有可疑人员出没，%d号楼邻居的电动车被偷了", "safety"},
    {"%d楼住户水管漏水到楼下，需要维修", "property"},
    {"%d号楼的孩子放学后无人看管，希望有课后辅导", "youth"},
    {"低保申请材料不清楚，%d口之家生活困难希望得到帮扶", "poverty_aid"},
    {"晚上广场舞音乐太吵，影响%d号楼居民休息", "culture"},
    {"%d号楼楼道消防通道被杂物堵塞，存在安全隐患", "safety"},
    {"%d号楼前井盖破损，路过的行人容易摔倒", "facility"},
    {"想组织邻里互助，为%d位行动不便的居民代买生活用品", "mutual_aid"},
    {"%d号楼下污水外溢，异味严重，请尽快处理", "sanitation"},
};
#define MIX_NTEXTS (sizeof s_texts / sizeof s_texts[0])

static const char *const s_fillers[] = {
    "。家里白天有人，下午三点以后方便联系",
    "。已经向楼长反映过，还没有结果",
    "。希望尽快安排人员处理，谢谢",
    "。附近还有几户居民也遇到同样的问题",
};

static const char *const s_channels[] = {
    "app",     "app",     "app",    "app",     "app",
    "hotline", "hotline", "patrol", "walk_in", "grid_worker"};

/* Unit-routed categories, and who offers them. */
static const struct {
    const char *id, *name, *kind, *categories[3];
} s_units[] = {
    {"U-wuye", "安居物业公司", "unit", {"property", "facility", NULL}},
    {"U-zhiyuan",
     "青年志愿者协会",
     "association",
     {"youth", "mutual_aid", "culture"}},
    {"U-jiating", "家庭服务中心", "unit", {"family", "youth", NULL}},
    {"U-wenti", "文体协会", "association", {"culture", NULL, NULL}},
    {"U-shizheng", "市政维修站", "department", {"facility", "property", NULL}},
    {"U-huzhu", "邻里互助会", "association", {"mutual_aid", "family", NULL}},
};
#define MIX_NUNITS (sizeof s_units / sizeof s_units[0])

/* splitmix64: a well-mixed value per request number and purpose. */
static uint64_t s_mix(uint64_t n, uint64_t salt)
{
    uint64_t z = n * 0x9e3779b97f4a7c15u + salt;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

size_t mix_nodes(mix_node_t *out, size_t max)
{
    size_t n = 0;
#define ADD(c, nm, k, par)                                                     \
    do {                                                                       \
        if (n < max) {                                                         \
            snprintf(out[n].code, sizeof out[n].code, "%s", c);                \
            snprintf(out[n].name, sizeof out[n].name, "%s", nm);               \
            out[n].kind = k;                                                   \
            snprintf(out[n].parent, sizeof out[n].parent, "%s", par);          \
        }                                                                      \
        n++;                                                                   \
    } while (0)
    ADD("HCZ", "火车站社区", "community", "");
    for (int g = 0; g < MIX_GRIDS; g++) {
        char gc[16];
        snprintf(gc, sizeof gc, "G%d", g + 1);
        ADD(gc, s_grid_names[g], "grid", "HCZ");
        for (int c = 0; c < MIX_COMPOUNDS; c++) {
            char cc[16];
            snprintf(cc, sizeof cc, "C%d%d", g + 1, c + 1);
            ADD(cc, s_compound_names[g * MIX_COMPOUNDS + c], "compound", gc);
            for (int s = 0; s < MIX_STAIRS; s++) {
                char sc[16], name[48];
                snprintf(sc, sizeof sc, "S%d%d%d", g + 1, c + 1, s + 1);
                snprintf(name, sizeof name, "%d栋%d单元", s / 2 + 1, s % 2 + 1);
                ADD(sc, name, "stairwell", cc);
            }
        }
    }
#undef ADD
    return n < max ? n : max;
}

void mix_grid_body(pack_t *p, const mix_node_t *node)
{
    pack_map(p, node->parent[0] ? 4 : 3);
    pack_kstr(p, "code", node->code);
    pack_kstr(p, "name", node->name);
    pack_kstr(p, "kind", node->kind);
    if (node->parent[0])
        pack_kstr(p, "parent", node->parent);
}

/* -- staff, units, members --------------------------------------------------
 */

/* Staff: the community's two, two per grid, one per compound, one per
 * stairwell. */
size_t mix_staff_count(void)
{
    return 2 + MIX_GRIDS * (2 + MIX_COMPOUNDS * (1 + MIX_STAIRS));
}

static void s_staff(pack_t *p, const char *node, const char *role,
                    const char *person)
{
    char name[32];
    snprintf(name, sizeof name, "%s%s", s_surnames[strlen(person) % 10],
             strcmp(role, "stairwell_leader") == 0 ? "楼长" : "书记");
    pack_map(p, 3);
    pack_kstr(p, "node", node);
    pack_kstr(p, "role", role);
    pack_str(p, "person");
    pack_map(p, 2);
    pack_kstr(p, "id", person);
    pack_kstr(p, "name", name);
}

void mix_staff_body(pack_t *p, size_t i)
{
    char node[16], person[32];
    if (i == 0) {
        s_staff(p, "HCZ", "community_leader", "p-HCZ-lead");
        return;
    }
    if (i == 1) {
        s_staff(p, "HCZ", "commander", "p-HCZ-cmd");
        return;
    }
    i -= 2;
    size_t per_grid = 2 + MIX_COMPOUNDS * (1 + MIX_STAIRS);
    unsigned g = (unsigned)(i / per_grid % MIX_GRIDS);
    unsigned k = (unsigned)(i % per_grid);
    if (k < 2) {
        snprintf(node, sizeof node, "G%u", g + 1);
        snprintf(person, sizeof person, "p-%s-%s", node, k ? "police" : "lead");
        s_staff(p, node, k ? "grid_police" : "grid_leader", person);
        return;
    }
    k -= 2;
    unsigned c = k / (1 + MIX_STAIRS), s = k % (1 + MIX_STAIRS);
    if (s == 0) {
        snprintf(node, sizeof node, "C%u%u", g + 1, c + 1);
        snprintf(person, sizeof person, "p-%s", node);
        s_staff(p, node, "assistant", person);
        return;
    }
    snprintf(node, sizeof node, "S%u%u%u", g + 1, c + 1, s);
    snprintf(person, sizeof person, "p-%s", node);
    s_staff(p, node, "stairwell_leader", person);
}

size_t mix_unit_count(void)
{
    return MIX_NUNITS;
}

void mix_unit_body(pack_t *p, size_t i)
{
    uint32_t n = 0;
    while (n < 3 && s_units[i].categories[n])
        n++;
    pack_map(p, 5);
    pack_kstr(p, "id", s_units[i].id);
    pack_kstr(p, "name", s_units[i].name);
    pack_kstr(p, "kind", s_units[i].kind);
    pack_str(p, "categories");
    pack_array(p, n);
    for (uint32_t k = 0; k < n; k++)
        pack_str(p, s_units[i].categories[k]);
    pack_kbool(p, "agreement", 1);
}

size_t mix_member_count(void)
{
    return MIX_MEMBERS;
}

void mix_member_body(pack_t *p, size_t i)
{
    char id[16], name[32], group[16], branch[16];
    snprintf(id, sizeof id, "m%03zu", i + 1);
    snprintf(name, sizeof name, "%s%s", s_surnames[i % 10],
             i % 3 == 0   ? "建国"
             : i % 3 == 1 ? "秀英"
                          : "志强");
    snprintf(group, sizeof group, "第%zu党小组", i % 6 + 1);
    snprintf(branch, sizeof branch, "第%zu支部", i % 2 + 1);
    pack_map(p, 4);
    pack_kstr(p, "id", id);
    pack_kstr(p, "name", name);
    pack_kstr(p, "group", group);
    pack_kstr(p, "branch", branch);
}

/* -- requests ---------------------------------------------------------------
 */

void mix_submit_body(pack_t *p, uint64_t n, int routed)
{
    uint64_t r = s_mix(n, 1);
    size_t t = r % MIX_NTEXTS;
    char text[512];
    int len = snprintf(text, sizeof text, s_texts[t].text,
                       (int)(s_mix(n, 2) % 30 + 1));
    size_t nfill = (size_t)(s_mix(n, 3) % 3);
    for (size_t i = 0; i < nfill && len > 0 && (size_t)len < sizeof text; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, "%s",
                        s_fillers[(s_mix(n, 4) + i) % 4]);
    unsigned where = (unsigned)(s_mix(n, 5) % 100);
    int category = s_mix(n, 6) % 10 < 4; /* else suggested */
    unsigned urg = (unsigned)(s_mix(n, 7) % 20);
    int urgency = urg < 16 ? 1 : urg < 19 ? 2 : 3;
    int reporter = s_mix(n, 8) % 10 < 7;
    int address_only = !routed && where < 5;
    int coarse = !routed && where >= 5 && where < 15;

    pack_map(p, 4 + (category ? 1 : 0) + (reporter ? 1 : 0));
    pack_kstr(p, "text", text);
    pack_kstr(p, "channel", s_channels[s_mix(n, 9) % 10]);
    if (category)
        pack_kstr(p, "category", s_texts[t].category);
    pack_kuint(p, "urgency", (uint64_t)urgency);
    unsigned g = (unsigned)(s_mix(n, 10) % MIX_GRIDS) + 1;
    unsigned c = (unsigned)(s_mix(n, 11) % MIX_COMPOUNDS) + 1;
    unsigned s = (unsigned)(s_mix(n, 12) % MIX_STAIRS) + 1;
    char code[16], address[96];
    snprintf(address, sizeof address, "车站路%u号%u栋%u单元",
             (unsigned)(n % 200) + 1, (s + 1) / 2, s);
    pack_str(p, "location");
    if (address_only) {
        pack_map(p, 1);
        pack_kstr(p, "address", address);
    } else if (coarse) {
        if (where % 2)
            snprintf(code, sizeof code, "C%u%u", g, c);
        else
            snprintf(code, sizeof code, "G%u", g);
        pack_map(p, 2);
        pack_kstr(p, where % 2 ? "compound" : "grid", code);
        pack_kstr(p, "address", address);
    } else {
        snprintf(code, sizeof code, "S%u%u%u", g, c, s);
        pack_map(p, 1);
        pack_kstr(p, "stairwell", code);
    }
    if (reporter) {
        char id[24], name[32], phone[32];
        uint64_t who = s_mix(n, 13) % 5000;
        snprintf(id, sizeof id, "r%05u", (unsigned)who);
        snprintf(name, sizeof name, "%s%s", s_surnames[who % 10],
                 who % 2 ? "先生" : "女士");
        snprintf(phone, sizeof phone, "138 %04u %04u", (unsigned)(who % 10000),
                 (unsigned)(n % 10000));
        pack_str(p, "reporter");
        pack_map(p, 3);
        pack_kstr(p, "id", id);
        pack_kstr(p, "name", name);
        pack_kstr(p, "phone", phone);
    }
}

void mix_accept_body(pack_t *p, const char *task, const char *by)
{
    pack_map(p, 2);
    pack_kstr(p, "task", task);
    pack_kstr(p, "by", by);
}

void mix_resolve_body(pack_t *p, const char *task, const char *by, uint64_t n)
{
    static const char *const results[] = {
        "已上门处理，问题已解决", "已联系相关单位完成维修",
        "已组织志愿者清理完毕", "已协调双方达成一致"};
    uint32_t parts = mix_participants(n);
    pack_map(p, 6);
    pack_kstr(p, "task", task);
    pack_kstr(p, "by", by);
    pack_kstr(p, "result", results[s_mix(n, 21) % 4]);
    pack_str(p, "participants");
    pack_array(p, parts);
    for (uint32_t i = 0; i < parts; i++) {
        char member[16];
        snprintf(member, sizeof member, "m%03u",
                 (unsigned)(s_mix(n, 22 + i) % MIX_MEMBERS) + 1);
        pack_map(p, 2);
        pack_kstr(p, "member", member);
        pack_kdouble(p, "hours", 0.5 * (double)(s_mix(n, 30 + i) % 8 + 1));
    }
    pack_kuint(p, "difficulty", s_mix(n, 40) % 3 + 1);
    pack_kbool(p, "professional", s_mix(n, 41) % 10 == 0);
}

uint32_t mix_participants(uint64_t n)
{
    return (uint32_t)(s_mix(n, 20) % 3) + 1;
}

void mix_followup_body(pack_t *p, const char *task, uint64_t n)
{
    pack_map(p, 4);
    pack_kstr(p, "task", task);
    pack_kstr(p, "by", "p-HCZ-lead");
    pack_kstr(p, "satisfaction", s_mix(n, 50) % 5 ? "satisfied" : "basically");
    pack_kstr(p, "note", "回访居民，对处理结果认可");
}
