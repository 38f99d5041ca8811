/*  report_html: the report as one XHTML page. See report.h.
 *
 *  1. Self-contained: the style and the charts (inline SVG) are in the
 *     page; nothing is fetched, no script runs, fonts are the reader's own
 *     (a CJK sans-serif stack).
 *  2. Well-formed XML: every text taken from a reply goes through s_text,
 *     which escapes & < > " ' and turns control characters into spaces;
 *     the page's own markup has no unescaped & or <, its style sheet
 *     included.
 *  3. Printable: a print style sheet drops the margins and keeps each
 *     section on one page where it fits.
 */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "show.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The three rates, their colours and their Chinese names. */
static const struct {
    const char *key, *name, *colour;
} s_three[] = {
    {"response_rate", "响应率", "#c0392b"},
    {"resolution_rate", "解决率", "#e08e0b"},
    {"satisfaction_rate", "满意率", "#2471a3"},
};

static const char s_style[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\","
    "\"PingFang SC\",\"Microsoft YaHei\",sans-serif;color:#222;"
    "max-width:62rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\n"
    "h1{font-size:1.7rem;margin:0 0 .2rem;border-bottom:3px solid #c0392b}\n"
    "h2{font-size:1.15rem;color:#9b2c20;margin:2rem 0 .6rem}\n"
    ".sub{color:#666;margin:0 0 1.2rem}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:.8rem}\n"
    ".card{flex:1 1 8rem;border:1px solid #e6d8d0;border-radius:6px;"
    "padding:.5rem .8rem;background:#fdf8f5}\n"
    ".card b{display:block;font-size:1.5rem}\n"
    ".card span{color:#666;font-size:.85rem}\n"
    "table{border-collapse:collapse;width:100%;font-size:.88rem}\n"
    "th,td{padding:.25rem .5rem;border-bottom:1px solid #e4e4e4;"
    "text-align:right;white-space:nowrap}\n"
    "th{background:#f6efea;font-weight:600}\n"
    "th.l,td.l{text-align:left}\n"
    ".three{display:flex;flex-wrap:wrap;gap:1.5rem}\n"
    ".three div{flex:1 1 16rem}\n"
    "svg{max-width:100%;height:auto}\n"
    "svg text{font-size:12px;fill:#333}\n"
    "footer{color:#888;font-size:.8rem;margin-top:2.5rem}\n"
    "@page{size:A4;margin:14mm}\n"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    "section{break-inside:avoid;page-break-inside:avoid}"
    ".card{background:none}h2{margin-top:1.2rem}}\n";

/* -- text ------------------------------------------------------------------ */

/* Writes S[0..LEN) as XML text: & < > " ' escaped, control characters
 * made spaces. */
static void s_text(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(c < 0x20 || c == 0x7f ? ' ' : c, out);
        }
    }
}

static void s_str(FILE *out, const char *s)
{
    s_text(out, s, strlen(s));
}

/* Writes the value O as show_text makes it. */
static void s_value(FILE *out, const msgpack_object *o)
{
    char buf[256];
    size_t len;
    const char *s = show_text(o, buf, sizeof buf, &len);
    s_text(out, s, len);
}

/* Writes <td CLASS>the value under KEY of O</td>; a rate (SCALE 100) as a
 * percentage, a median (SCALE 1) with one decimal. */
static void s_td(FILE *out, const msgpack_object *o, const char *key,
                 double scale)
{
    char buf[32];
    fputs("<td>", out);
    if (scale)
        s_str(out, show_scaled(show_get(o, key), scale, buf));
    else
        s_value(out, show_get(o, key));
    fputs("</td>", out);
}

/* Writes the header row of HEADERS[0..N); the first LEFT align left. */
static void s_thead(FILE *out, const char *const *headers, size_t n,
                    size_t left)
{
    fputs("<thead><tr>", out);
    for (size_t i = 0; i < n; i++) {
        fputs(i < left ? "<th class=\"l\">" : "<th>", out);
        s_str(out, headers[i]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n", out);
}

/* -- tables ---------------------------------------------------------------- */

/* The rates rows of the array ITEMS of R; FIRST names their key. */
static void s_rates(FILE *out, const msgpack_object *r, const char *items,
                    const char *first)
{
    static const char *const keys[] = {
        "assigned",          "response_rate",     "followups",
        "resolution_rate",   "satisfaction_rate", "closed",
        "within_grid_rate",  "on_time_rate",      "median_accept_min",
        "median_resolve_min"};
    static const double scale[] = {0, 100, 0, 100, 100, 0, 100, 100, 1, 1};
    const char *headers[] = {first,       "名称",         "派单",
                             "响应率%",   "回访",         "解决率%",
                             "满意率%",   "办结",         "网格内办结%",
                             "按时办结%", "接单中位(分)", "办理中位(分)"};
    uint32_t n;
    const msgpack_object *row = show_array(r, items, &n);
    fputs("<table>", out);
    s_thead(out, headers, COUNT(headers), 2);
    fputs("<tbody>\n", out);
    for (uint32_t i = 0; i < n; i++) {
        fputs("<tr><td class=\"l\">", out);
        s_value(out, show_get(&row[i], "key"));
        fputs("</td><td class=\"l\">", out);
        s_value(out, show_get(&row[i], "name"));
        fputs("</td>", out);
        for (size_t k = 0; k < COUNT(keys); k++)
            s_td(out, &row[i], keys[k], scale[k]);
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* A leaderboard's rows, ranked. */
static void s_board(FILE *out, const msgpack_object *r, const char *items,
                    const char *title)
{
    static const char *const headers[] = {"#", "编号", "姓名/名称", "积分"};
    uint32_t n;
    const msgpack_object *row = show_array(r, items, &n);
    fputs("<div><h3>", out);
    s_str(out, title);
    fputs("</h3><table>", out);
    s_thead(out, headers, COUNT(headers), 3);
    fputs("<tbody>\n", out);
    for (uint32_t i = 0; i < n; i++) {
        char buf[32];
        fprintf(out, "<tr><td class=\"l\">%" PRIu32 "</td><td class=\"l\">",
                i + 1);
        s_value(out, show_get(&row[i], "id"));
        fputs("</td><td class=\"l\">", out);
        s_value(out, show_get(&row[i], "name"));
        fputs("</td><td>", out);
        s_str(out, show_points(show_get(&row[i], "points"), buf));
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
}

/* How many members, groups and branches got 0 to 5 stars. */
static void s_stars(FILE *out, const msgpack_object *ratings)
{
    static const char *const headers[] = {"",   "评定", "0★", "1★",
                                          "2★", "3★",   "4★", "5★"};
    static const char *const scopes[][2] = {
        {"members", "党员"}, {"groups", "党小组"}, {"branches", "支部"}};
    fputs("<table>", out);
    s_thead(out, headers, COUNT(headers), 1);
    fputs("<tbody>\n", out);
    for (size_t i = 0; i < COUNT(scopes); i++) {
        const msgpack_object *s = show_get(ratings, scopes[i][0]);
        uint32_t n;
        const msgpack_object *stars = show_array(s, "stars", &n);
        fputs("<tr><td class=\"l\">", out);
        s_str(out, scopes[i][1]);
        fputs("</td>", out);
        s_td(out, s, "rated", 0);
        for (uint32_t k = 0; k < 6; k++) {
            fputs("<td>", out);
            s_value(out, k < n ? &stars[k] : NULL);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* -- charts ---------------------------------------------------------------- */

/* The number O (a rate in [0, 1], or a count), or -1 when it is none. */
static double s_number(const msgpack_object *o)
{
    if (o && (o->type == MSGPACK_OBJECT_FLOAT64 ||
              o->type == MSGPACK_OBJECT_FLOAT32))
        return o->via.f64;
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (double)o->via.u64;
    return -1;
}

/* Bars of the three rates per grid, grouped, on a 0-100% axis. */
static void s_rates_chart(FILE *out, const msgpack_object *r)
{
    uint32_t n;
    const msgpack_object *g = show_array(r, "grids", &n);
    const double left = 44, top = 30, height = 200, bar = 16;
    double group = 3 * bar + 28, width = left + n * group + 10;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n"
            "<title>各网格三率</title>\n",
            width, top + height + 50, width, top + height + 50);
    for (int pct = 0; pct <= 100; pct += 25) {
        double y = top + height * (1 - pct / 100.0);
        fprintf(out,
                "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
                "stroke=\"#ddd\"/><text x=\"%.0f\" y=\"%.1f\" "
                "text-anchor=\"end\">%d%%</text>\n",
                left, y, width - 10, y, left - 6, y + 4, pct);
    }
    for (size_t k = 0; k < COUNT(s_three); k++) /* the legend */
        fprintf(out,
                "<rect x=\"%.0f\" y=\"6\" width=\"12\" height=\"12\" "
                "fill=\"%s\"/><text x=\"%.0f\" y=\"16\">%s</text>\n",
                left + (double)k * 90, s_three[k].colour,
                left + (double)k * 90 + 16, s_three[k].name);
    for (uint32_t i = 0; i < n; i++) {
        double x0 = left + 14 + i * group;
        for (size_t k = 0; k < COUNT(s_three); k++) {
            double v = s_number(show_get(&g[i], s_three[k].key));
            double x = x0 + (double)k * bar;
            if (v < 0) {
                fprintf(out,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                        "-</text>\n",
                        x + bar / 2, top + height - 4);
                continue;
            }
            double h = height * (v > 1 ? 1 : v);
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" "
                    "height=\"%.1f\" fill=\"%s\"><title>%.1f%%</title>"
                    "</rect>\n",
                    x, top + height - h, bar - 2, h, s_three[k].colour,
                    v * 100);
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">",
                x0 + 1.5 * bar, top + height + 18);
        s_value(out, show_get(&g[i], "key"));
        fprintf(out, "</text>\n");
    }
    fputs("</svg>\n", out);
}

/* The Chinese name of the level of E, an item of the escalations. */
static const char *s_level(const msgpack_object *e, char buf[32])
{
    static const char *const names[][2] = {
        {"stairwell", "楼道长"}, {"compound", "协理员"},
        {"grid", "网格"},        {"community", "社区"},
        {"unit", "驻区单位"},    {"department", "职能部门"}};
    show_copy(e, "level", buf, 32);
    for (size_t k = 0; k < COUNT(names); k++)
        if (strcmp(names[k][0], buf) == 0)
            return names[k][1];
    return buf;
}

/* Horizontal bars of the escalations by level, then their table. */
static void s_escalations(FILE *out, const msgpack_object *r)
{
    static const char *const headers[] = {"上交到", "次数", "接单超时",
                                          "办理超时", "主动上交"};
    static const char *const keys[] = {"count", "accept_timeout",
                                       "resolve_timeout", "manual"};
    uint32_t n;
    const msgpack_object *e = show_array(r, "escalations", &n);
    double max = 1;
    for (uint32_t i = 0; i < n; i++) {
        double v = s_number(show_get(&e[i], "count"));
        max = v > max ? v : max;
    }
    const double left = 90, row = 26, width = 520;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n"
            "<title>按层级的上交次数</title>\n",
            width, n * row + 10, width, n * row + 10);
    char level[32];
    for (uint32_t i = 0; i < n; i++) {
        double v = s_number(show_get(&e[i], "count"));
        double w = (width - left - 60) * (v > 0 ? v : 0) / max;
        double y = 6 + i * row;
        fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">",
                left - 8, y + 14);
        s_str(out, s_level(&e[i], level));
        fprintf(out,
                "</text><rect x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" "
                "height=\"18\" fill=\"#c0392b\"/><text x=\"%.1f\" "
                "y=\"%.0f\">%.0f</text>\n",
                left, y, w, left + w + 6, y + 14, v > 0 ? v : 0);
    }
    fputs("</svg>\n<table>", out);
    s_thead(out, headers, COUNT(headers), 1);
    fputs("<tbody>\n", out);
    for (uint32_t i = 0; i < n; i++) {
        fputs("<tr><td class=\"l\">", out);
        s_str(out, s_level(&e[i], level));
        fputs("</td>", out);
        for (size_t k = 0; k < COUNT(keys); k++)
            s_td(out, &e[i], keys[k], 0);
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* -- the page -------------------------------------------------------------- */

/* A card: a big number and what it counts. */
static void s_card(FILE *out, const char *value, const char *what)
{
    fputs("<div class=\"card\"><b>", out);
    s_str(out, value);
    fputs("</b><span>", out);
    s_str(out, what);
    fputs("</span></div>\n", out);
}

static void s_cards(FILE *out, const msgpack_object *r)
{
    const msgpack_object *totals = show_get(r, "totals"),
                         *all = show_get(r, "all");
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64,
             show_uint(show_get(totals, "requests"), "total", 0));
    s_card(out, buf, "诉求总数（累计）");
    snprintf(buf, sizeof buf, "%" PRIu64,
             show_uint(show_get(totals, "tasks"), "closed", 0));
    s_card(out, buf, "已办结任务（累计）");
    snprintf(buf, sizeof buf, "%" PRIu64, show_uint(totals, "closed", 0));
    s_card(out, buf, "本期办结");
    snprintf(buf, sizeof buf, "%" PRIu64, show_uint(totals, "escalations", 0));
    s_card(out, buf, "本期上交");
    for (size_t k = 0; k < COUNT(s_three); k++)
        s_card(out, show_percent(show_get(all, s_three[k].key), buf),
               s_three[k].name);
    show_percent(show_get(all, "within_grid_rate"), buf);
    s_card(out, buf, "小事不出网格");
}

int report_html(FILE *out, const msgpack_object *r)
{
    char community[80], period[16], when[32];
    show_copy(r, "community", community, sizeof community);
    show_copy(r, "period", period, sizeof period);
    show_time(show_uint(r, "as_of", 0), when);
    const msgpack_object *sim = show_get(r, "simulated");
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n"
          "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"zh-CN\" "
          "xml:lang=\"zh-CN\">\n<head>\n<meta charset=\"UTF-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width\"/>\n<title>",
          out);
    s_str(out, community);
    fputs(" ", out);
    s_str(out, period);
    fprintf(out, " 月度报告</title>\n<style>\n%s</style>\n</head>\n<body>\n",
            s_style);
    fputs("<h1>", out);
    s_str(out, community);
    fputs(" · ", out);
    s_str(out, period);
    fputs(" 网格服务月度报告</h1>\n<p class=\"sub\">截至 ", out);
    s_text(out, when, 16);
    fputs(sim && sim->type == MSGPACK_OBJECT_BOOLEAN && sim->via.boolean
              ? "（模拟时间）"
              : "",
          out);
    fputs("</p>\n<section><div class=\"cards\">\n", out);
    s_cards(out, r);
    fputs("</div></section>\n<section><h2>各网格三率（响应率、解决率、满意率）"
          "</h2>\n",
          out);
    s_rates_chart(out, r);
    s_rates(out, r, "grids", "网格");
    fputs("</section>\n<section><h2>分类别</h2>\n", out);
    s_rates(out, r, "categories", "类别");
    fputs("</section>\n<section><h2>承接最多的驻区单位</h2>\n", out);
    s_rates(out, r, "units", "单位");
    fputs("</section>\n<section><h2>按层级的上交（升级）</h2>\n", out);
    s_escalations(out, r);
    fputs("</section>\n<section><h2>积分排行</h2>\n<div class=\"three\">\n",
          out);
    s_board(out, r, "members", "党员 前10名");
    s_board(out, r, "groups", "党小组 前10名");
    s_board(out, r, "branches", "支部");
    fputs("</div></section>\n<section><h2>星级评定</h2>\n", out);
    s_stars(out, show_get(r, "ratings"));
    fputs("</section>\n<footer>由 julictl report 生成；数据来自 intake、"
          "dispatch、scoring 三个服务。</footer>\n</body>\n</html>\n",
          out);
    return ferror(out) ? -1 : 0;
}
