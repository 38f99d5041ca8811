#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs and dictionaries.

    python3 fuzz/seeds.py          (from the repository root)

Seeds go to fuzz/seeds/<target>/<name> (the directory is emptied first),
dictionaries to fuzz/dict/<target>.dict. The seeds are the protocol's own
requests, valid ones of every type each daemon answers (Chinese text, the
values at their limits) and hostile frames (truncated, huge headers, deep
nesting, bad UTF-8, duplicate keys, ext types, trailing bytes). A service
target's input is one role byte and the request frame (fuzz/fuzz.h): the
role is byte % 6 (0 any, 1 app, 2 unit:U-test, 3 staff, 4 admin, 5 service);
with bit 0x40 set the frame is an upstream event ({ts, type, data}) for the
follower's apply hook instead; dispatch also reads the top bit (fire the
deadlines 30 days on). The frame target's input is the frame alone.

The refs, task ids, members and codes are the ones fuzz/<target>.c seeds its
state with. No dependency outside the standard library: the MessagePack
writer below is minimal, with raw() for bytes no encoder would write.
"""
import os
import shutil
import struct
import sys


class Raw(bytes):
    """Bytes written as they are, inside an otherwise encoded value."""


class Pairs(list):
    """A map given as (key, value) pairs, so a key may repeat."""


def pack(v):
    if isinstance(v, Raw):
        return bytes(v)
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if v >= 0:
            for tag, fmt, lim in ((0xcc, "B", 1 << 8), (0xcd, ">H", 1 << 16),
                                  (0xce, ">I", 1 << 32),
                                  (0xcf, ">Q", 1 << 64)):
                if v < lim:
                    return bytes([tag]) + struct.pack(fmt, v)
        for tag, fmt, lim in ((0xd0, "b", 1 << 7), (0xd1, ">h", 1 << 15),
                              (0xd2, ">i", 1 << 31), (0xd3, ">q", 1 << 63)):
            if -lim <= v:
                return bytes([tag]) + struct.pack(fmt, v)
        raise ValueError(v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8", "surrogatepass")
        return strhead(len(b)) + b
    if isinstance(v, bytes):
        n = len(v)
        head = (b"\xc4" + bytes([n]) if n < 256 else
                b"\xc5" + struct.pack(">H", n) if n < 65536 else
                b"\xc6" + struct.pack(">I", n))
        return head + v
    if isinstance(v, (list, tuple)) and not isinstance(v, Pairs):
        return arrhead(len(v)) + b"".join(pack(x) for x in v)
    if isinstance(v, (dict, Pairs)):
        items = v.items() if isinstance(v, dict) else v
        items = list(items)
        return maphead(len(items)) + b"".join(
            pack(k) + pack(x) for k, x in items)
    raise TypeError(type(v))


def strhead(n):
    if n < 32:
        return bytes([0xa0 | n])
    if n < 256:
        return b"\xd9" + bytes([n])
    if n < 65536:
        return b"\xda" + struct.pack(">H", n)
    return b"\xdb" + struct.pack(">I", n)


def arrhead(n):
    return (bytes([0x90 | n]) if n < 16 else
            b"\xdc" + struct.pack(">H", n) if n < 65536 else
            b"\xdd" + struct.pack(">I", n))


def maphead(n):
    return (bytes([0x80 | n]) if n < 16 else
            b"\xde" + struct.pack(">H", n) if n < 65536 else
            b"\xdf" + struct.pack(">I", n))


def req(type_, body=None, id_=None):
    m = {"type": type_}
    if id_ is not None:
        m["id"] = id_
    if body is not None:
        m["body"] = body
    return m


def node(code, name, kind, parent=None):
    """A grid node: grid.define's body, grid.defined's data."""
    m = {"code": code, "name": name, "kind": kind}
    if parent is not None:
        m["parent"] = parent
    return m


def staff(node_, role, id_, name):
    """A staff.assign body, a staff.assigned event's data."""
    return {"node": node_, "role": role, "person": {"id": id_, "name": name}}


def unit(id_, name, kind, categories, **more):
    """A unit.register body; MORE (capacity, agreement) goes last."""
    return dict({"id": id_, "name": name, "kind": kind,
                 "categories": categories}, **more)


def member(id_, name, group, branch):
    """A member.register body."""
    return {"id": id_, "name": name, "group": group, "branch": branch}


def volunteer(member_, hours, activity, date, by="p-da"):
    """A volunteer.log body."""
    return {"member": member_, "hours": hours, "activity": activity,
            "date": date, "by": by}


def adjust(member_, points, reason, by="admin"):
    """A points.adjust body."""
    return {"member": member_, "points": points, "reason": reason, "by": by}


ANY, APP, UNIT, STAFF, ADMIN, SERVICE = range(6)
ZH500 = ("居民反映楼道灯坏了需要维修" * 40)[:500]      # 500 characters
ZH2000 = ("楼道里堆满了杂物，存在消防隐患，请尽快处理。" * 100)[:2000]
EMOJI200 = "🏮" * 200                                  # 4 bytes each

L = "🏮"                  # 4 bytes: a field at N characters takes 4N bytes


# -- intake ------------------------------------------------------------------

INTAKE = {
    "health": (ANY, req("health")),
    "events-since": (SERVICE, req("events.since", {"after": 0, "limit": 3})),
    "events-since-clamped": (STAFF, req("events.since",
                                        {"after": 2, "limit": 99999999})),
    "stats": (STAFF, req("stats")),
    "grid-define-community": (ADMIN, req("grid.define", node(
        "NEW", "新建社区", "community"), "g-new")),
    "grid-define-grid": (ADMIN, req("grid.define", node(
        "G3", "第三网格", "grid", "HCZ"), "g-3")),
    "grid-define-stairwell": (ADMIN, req("grid.define", node(
        "S113", "1栋3单元", "stairwell", "C11"), "g-s113")),
    "grid-define-rename": (ADMIN, req("grid.define", node(
        "G1", "第一网格（火车站东）", "grid", "HCZ"), "g-rename")),
    "grid-define-conflict": (ADMIN, req("grid.define", node(
        "G1", "x", "compound", "G2"), "g-conflict")),
    "grid-define-bad-parent": (ADMIN, req("grid.define", node(
        "X1", "x", "stairwell", "G1"), "g-bad")),
    "grid-define-forbidden": (APP, req("grid.define", node(
        "X2", "x", "grid", "HCZ"), "g-f")),
    "submit-stairwell": (APP, req("request.submit", {
        "text": "楼道里堆满了垃圾，已经好几天没人清理", "channel": "app",
        "category": "sanitation", "location": {"stairwell": "S112"}},
        "s-1")),
    "submit-keywords": (APP, req("request.submit", {
        "text": "有人在小区里打架，还有人偷电动车", "channel": "hotline",
        "location": {"compound": "C11", "address": "铁路新村3栋"}}, "s-2")),
    "submit-address-only": (STAFF, req("request.submit", {
        "text": "邻居家漏水", "channel": "walk_in",
        "location": {"address": "火车站路12号"}}, "s-3")),
    "submit-full": (STAFF, req("request.submit", {
        "text": "独居老人需要有人定期探望", "channel": "grid_worker",
        "category": "elderly", "urgency": 3,
        "location": {"stairwell": "S211", "compound": "C21", "grid": "G2",
                     "address": "站前小区3栋1单元101"},
        "reporter": {"id": "u-77", "name": "陈奶奶",
                     "phone": "+86 (0731) 8888-6666"}}, "s-4")),
    "submit-long-text": (APP, req("request.submit", {
        "text": ZH2000, "channel": "app",
        "location": {"grid": "G1"}}, "s-5")),
    "submit-contradiction": (APP, req("request.submit", {
        "text": "路灯坏了", "channel": "app",
        "location": {"stairwell": "S111", "grid": "G2"}}, "s-6")),
    "submit-bad-phone": (APP, req("request.submit", {
        "text": "路灯坏了", "channel": "patrol",
        "location": {"grid": "G1"},
        "reporter": {"phone": "电话123"}}, "s-7")),
    "submit-control-char": (APP, req("request.submit", {
        "text": "路灯\x00坏了\x07", "channel": "app",
        "location": {"grid": "G1"}}, "s-8")),
    "submit-no-id": (APP, req("request.submit", {
        "text": "路灯坏了", "channel": "app", "location": {"grid": "G1"}})),
    "classify": (STAFF, req("request.classify", {
        "ref": "R00000003", "category": "property",
        "location": {"compound": "C11"}}, "k-3")),
    "classify-category-only": (STAFF, req("request.classify", {
        "ref": "R00000004", "category": "other"}, "k-4")),
    "classify-not-triage": (ADMIN, req("request.classify", {
        "ref": "R00000001", "category": "other"}, "k-1")),
    "cancel": (APP, req("request.cancel", {
        "ref": "R00000001", "reason": "问题已经自己解决了"}, "c-1")),
    "cancel-resolved": (APP, req("request.cancel", {
        "ref": "R00000006"}, "c-6")),
    "cancel-long-reason": (STAFF, req("request.cancel", {
        "ref": "R00000002", "reason": ZH500}, "c-2")),
    "get": (APP, req("request.get", {"ref": "R00000006"})),
    "get-unknown": (APP, req("request.get", {"ref": "R99999999999999999"})),
    "get-bad-ref": (APP, req("request.get", {"ref": "R12x"})),
    "list": (STAFF, req("requests.list", {})),
    "list-filtered": (ADMIN, req("requests.list", {
        "status": "triage", "grid": "G1", "category": "other",
        "after": "0", "limit": 1000})),
    "list-paged": (STAFF, req("requests.list", {"after": "2", "limit": 2})),
    "list-forbidden": (UNIT, req("requests.list", {})),
    "unknown-type": (ANY, req("request.delete", {"ref": "R00000001"}, "x")),
    "grid-define-max": (ADMIN, req("grid.define", node(
        "S" + "9" * 63, L * 64, "stairwell", "C11"), "i" * 64)),
    "submit-max": (APP, req("request.submit", {
        "text": L * 2000, "channel": "grid_worker", "urgency": 3,
        "location": {"stairwell": "S111", "compound": "C11", "grid": "G1",
                     "address": L * 256},
        "reporter": {"id": L * 16, "name": L * 64, "phone": "8" * 32}},
        "s-max")),
    "classify-max": (STAFF, req("request.classify", {
        "ref": "R00000003", "category": "mutual_aid",
        "location": {"grid": "G2", "address": L * 256}}, "k-max")),
    "cancel-max": (APP, req("request.cancel", {
        "ref": "R00000002", "reason": L * 500}, "c-max")),
}

# -- dispatch ----------------------------------------------------------------

DISPATCH = {
    "health": (ANY, req("health")),
    "events-since": (SERVICE, req("events.since", {"after": 10})),
    "stats": (SERVICE, req("stats")),
    "staff-assign": (ADMIN, req("staff.assign", staff(
        "S211", "stairwell_leader", "p-new", "新楼长"), "sa-1")),
    "staff-assign-pending": (ADMIN, req("staff.assign", staff(
        "G9", "grid_leader", "p-g9", "九网格长"), "sa-2")),
    "staff-assign-replace": (ADMIN, req("staff.assign", staff(
        "S111", "stairwell_leader", "p-lou2", "新任楼长"), "sa-3")),
    "staff-assign-wrong-kind": (ADMIN, req("staff.assign", staff(
        "G1", "assistant", "p-x", "x"), "sa-4")),
    "staff-assign-unknown-node": (ADMIN, req("staff.assign", staff(
        "NOPE", "commander", "p-x", "x"), "sa-5")),
    "unit-register": (ADMIN, req("unit.register", unit(
        "U9", "社区文化协会", "association", ["culture", "dispute"],
        capacity=1, agreement=True), "ur-1")),
    "unit-register-department": (ADMIN, req("unit.register", unit(
        "D2", "街道司法所", "department", ["dispute"]), "ur-2")),
    "unit-register-bad-category": (ADMIN, req("unit.register", unit(
        "U9", "x", "unit", ["property", "nope"]), "ur-3")),
    "unit-register-dup-category": (ADMIN, req("unit.register", unit(
        "U9", "x", "unit", ["property", "property"]), "ur-4")),
    "staff-list": (STAFF, req("staff.list", {"node": "HCZ"})),
    "units-list": (STAFF, req("units.list", {"category": "property"})),
    "accept": (STAFF, req("task.accept", {
        "task": "T00000001", "by": "p-lou"}, "ta-1")),
    "accept-unit": (UNIT, req("task.accept", {"task": "T00000003"}, "ta-3")),
    "accept-not-assignee": (STAFF, req("task.accept", {
        "task": "T00000001", "by": "p-wang"}, "ta-x")),
    "accept-cancelled": (STAFF, req("task.accept", {
        "task": "T00000007", "by": "p-da"}, "ta-7")),
    "accept-bare-number": (STAFF, req("task.accept", {
        "task": "9", "by": "U2"}, "ta-9")),
    "accept-bad-id": (STAFF, req("task.accept", {
        "task": "T1x", "by": "p-lou"}, "ta-b")),
    "decline": (STAFF, req("task.decline", {
        "task": "T00000001", "by": "p-lou",
        "reason": "本人出差，无法处理"}, "td-1")),
    "decline-unit": (UNIT, req("task.decline", {
        "task": "T00000003", "reason": "人手不足"}, "td-3")),
    "decline-long-reason": (STAFF, req("task.decline", {
        "task": "T00000001", "by": "p-lou", "reason": ZH500}, "td-l")),
    "escalate": (STAFF, req("task.escalate", {
        "task": "T00000002", "by": "p-lou",
        "reason": "问题复杂，需要上级协调"}, "te-2")),
    "escalate-long-reason": (STAFF, req("task.escalate", {
        "task": "T00000002", "by": "p-lou", "reason": ZH500}, "te-l")),
    "escalate-unit": (UNIT, req("task.escalate", {
        "task": "T00000008", "reason": "超出服务范围"}, "te-8")),
    "resolve": (STAFF, req("task.resolve", {
        "task": "T00000002", "by": "p-lou", "result": "已清理完毕",
        "participants": [{"member": "m1", "hours": 1.5},
                         {"member": "m2", "hours": 24}],
        "difficulty": 3, "professional": False}, "tr-2")),
    "resolve-unit": (UNIT, req("task.resolve", {
        "task": "T00000008", "result": "路灯已更换",
        "participants": [{"member": "m4", "hours": 0.25}],
        "difficulty": 1}, "tr-8")),
    "resolve-bad-hours": (STAFF, req("task.resolve", {
        "task": "T00000002", "by": "p-lou", "result": "x",
        "participants": [{"member": "m1", "hours": 0}],
        "difficulty": 1}, "tr-b")),
    "resolve-nan-hours": (STAFF, req("task.resolve", {
        "task": "T00000002", "by": "p-lou", "result": "x",
        "participants": [{"member": "m1", "hours": float("nan")}],
        "difficulty": 1}, "tr-n")),
    "resolve-long": (STAFF, req("task.resolve", {
        "task": "T00000002", "by": "p-lou", "result": ZH2000,
        "participants": [{"member": "成员%d" % i, "hours": 24}
                         for i in range(64)],
        "difficulty": 2}, "tr-l")),
    "followup-satisfied": (STAFF, req("followup.record", {
        "task": "T00000004", "by": "p-da", "satisfaction": "satisfied",
        "note": "居民表示满意"}, "f-4")),
    "followup-unsatisfied": (STAFF, req("followup.record", {
        "task": "T00000004", "by": "p-da", "satisfaction": "unsatisfied",
        "resolved": False}, "f-4u")),
    "followup-basically": (ADMIN, req("followup.record", {
        "task": "T00000004", "by": "p-da", "satisfaction": "basically",
        "note": ZH500}, "f-4b")),
    "reopen": (STAFF, req("task.reopen", {
        "task": "T00000005", "by": "p-da", "reason": "居民投诉问题复发"},
        "ro-5")),
    "reopen-long-reason": (STAFF, req("task.reopen", {
        "task": "T00000005", "by": "p-da", "reason": ZH500}, "ro-l")),
    "get": (STAFF, req("task.get", {"task": "T00000004"})),
    "get-unit-other": (UNIT, req("task.get", {"task": "T00000001"})),
    "list": (STAFF, req("tasks.list", {"status": "assigned", "limit": 2})),
    "list-unit": (UNIT, req("tasks.list", {})),
    "list-filtered": (ADMIN, req("tasks.list", {
        "assignee": "p-lou", "grid": "G1", "after": "1"})),
    "rates-grid": (STAFF, req("rates", {"by": "grid"})),
    "rates-unit": (ADMIN, req("rates", {"by": "unit", "period": "2026-Q1"})),
    "rates-category": (STAFF, req("rates", {"by": "category",
                                            "period": "2026"})),
    "rates-month": (STAFF, req("rates", {"by": "grid", "period": "2026-03"})),
    "rates-bad-period": (STAFF, req("rates", {"by": "grid",
                                              "period": "2026-13"})),
    "staff-assign-max": (ADMIN, req("staff.assign", staff(
        "S111", "stairwell_leader", L * 16, L * 64), "sa-max")),
    "unit-register-max": (ADMIN, req("unit.register", unit(
        L * 16, L * 128, "unit",
        ["property", "facility", "youth", "family", "culture",
         "mutual_aid", "other", "sanitation"] * 8,
        capacity=1000000, agreement=False), "ur-max")),
    "decline-max": (STAFF, req("task.decline", {
        "task": "T00000001", "by": "p-lou", "reason": L * 500}, "td-max")),
    "decline-unit-max": (UNIT, req("task.decline", {
        "task": "T00000003", "reason": L * 500}, "td-umax")),
    "resolve-max": (STAFF, req("task.resolve", {
        "task": "T00000002", "by": "p-lou", "result": L * 2000,
        "participants": [{"member": L * 15 + "%04d" % i, "hours": 24}
                         for i in range(64)],
        "difficulty": 3, "professional": True}, "tr-max")),
    "followup-max": (STAFF, req("followup.record", {
        "task": "T00000004", "by": L * 16, "satisfaction": "basically",
        "resolved": True, "note": L * 500}, "f-max")),
    "reopen-max": (STAFF, req("task.reopen", {
        "task": "T00000005", "by": L * 16, "reason": L * 500}, "ro-max")),
    "deadlines-stats": (0x80 | STAFF, req("stats")),
    "deadlines-get": (0x80 | ADMIN, req("task.get", {"task": "T00000001"})),
}

# -- scoring -----------------------------------------------------------------

SCORING = {
    "health": (ANY, req("health")),
    "events-since": (SERVICE, req("events.since", {"after": 0})),
    "stats": (ADMIN, req("stats")),
    "member-register": (ADMIN, req("member.register", member(
        "m5", "孙党员", "第三党小组", "火车站社区党支部"), "mr-5")),
    "member-update": (ADMIN, req("member.register", member(
        "m1", "张党员（更名）", "第二党小组", "新区社区党支部"), "mr-1")),
    "volunteer": (STAFF, req("volunteer.log", volunteer(
        "m1", 2.5, "社区环境整治志愿服务", "2026-03-12"), "vl-1")),
    "volunteer-unregistered": (STAFF, req("volunteer.log", volunteer(
        "m99", 24, "防汛值守", "2026-02-29"), "vl-2")),
    "volunteer-bad-date": (STAFF, req("volunteer.log", volunteer(
        "m1", 1, "x", "2026-02-30"), "vl-3")),
    "volunteer-long-activity": (STAFF, req("volunteer.log", volunteer(
        "m1", 1, EMOJI200, "2026-03-01"), "vl-4")),
    "adjust": (ADMIN, req("points.adjust", adjust(
        "m3", 10, "表彰先进"), "pa-1")),
    "adjust-negative": (ADMIN, req("points.adjust", adjust(
        "m4", -100000, "更正错误"), "pa-2")),
    "adjust-long-reason": (ADMIN, req("points.adjust", adjust(
        "m4", 1, EMOJI200), "pa-3")),
    "adjust-zero": (ADMIN, req("points.adjust", adjust(
        "m4", 0, "x"), "pa-4")),
    "points-get": (STAFF, req("points.get", {"member": "m1"})),
    "points-get-period": (STAFF, req("points.get", {"member": "m2",
                                                    "period": "2026-Q1"})),
    "ledger": (STAFF, req("ledger", {"member": "m1", "limit": 2})),
    "ledger-after": (ADMIN, req("ledger", {"member": "m1", "after": "1"})),
    "ledger-verify": (ADMIN, req("ledger.verify")),
    "leaderboard-member": (STAFF, req("leaderboard", {"scope": "member"})),
    "leaderboard-group": (STAFF, req("leaderboard", {
        "scope": "group", "period": "2026", "limit": 1})),
    "leaderboard-branch": (ADMIN, req("leaderboard", {
        "scope": "branch", "period": "2026-03"})),
    "ratings-compute": (STAFF, req("ratings.compute", {"period": "2026"},
                                   "rc-1")),
    "ratings-compute-month": (ADMIN, req("ratings.compute",
                                         {"period": "2026-03"}, "rc-2")),
    "ratings-list": (STAFF, req("ratings.list", {"period": "2026",
                                                 "scope": "group"})),
    "ratings-bad-period": (STAFF, req("ratings.list", {"period": "26"})),
    "member-register-max": (ADMIN, req("member.register", member(
        L * 16, L * 64, L * 16, L * 16), "mr-max")),
    "volunteer-max": (STAFF, req("volunteer.log", volunteer(
        L * 16, 24, L * 200, "2026-12-31", by=L * 16), "vl-max")),
    "adjust-max": (ADMIN, req("points.adjust", adjust(
        L * 16, 100000, L * 200, by=L * 16), "pa-max")),
    "forbidden": (APP, req("points.adjust", adjust(
        "m1", 1, "x", by="x"), "pa-f")),
}

# -- upstream events (role byte bit 0x40: for the follower's apply hook) --

UP = 0x40
TS = 1772000000000
ASSIGNEE = {"kind": "staff", "id": "p-lou", "name": "楼长老刘",
            "role": "stairwell_leader", "node": "S111"}


def event(type_, data, ts=TS):
    return {"ts": ts, "type": type_, "data": data}


INTAKE_EVENTS = {   # dispatch's events, for progress.c
    "ev-assigned": event("task.assigned", {
        "task": "T00000001", "ref": "R00000001", "assignee": ASSIGNEE,
        "level": "stairwell", "accept_by": TS + 1800000,
        "resolve_by": TS + 172800000, "category": "sanitation",
        "grid": "G1"}),
    "ev-accepted": event("task.accepted", {
        "task": "T00000002", "ref": "R00000002", "by": "p-lou"}),
    "ev-resolved": event("task.resolved", {
        "task": "T00000002", "ref": "R00000002", "by": "p-lou",
        "result": "已修好", "participants": [{"member": "m1", "hours": 1}],
        "difficulty": 1, "professional": False}),
    "ev-closed": event("task.closed", {
        "task": "T00000006", "ref": "R00000006", "satisfaction": "satisfied",
        "resolved": True}),
    "ev-closed-cancelled": event("task.closed", {
        "task": "T00000005", "ref": "R00000005",
        "satisfaction": "basically"}),
    "ev-escalated": event("task.escalated", {
        "task": "T00000001", "ref": "R00000001", "from": ASSIGNEE,
        "to": {"kind": "staff", "id": "p-da", "name": "达书记",
               "role": "community_leader", "node": "HCZ"},
        "reason": "accept_timeout"}),
    "ev-declined": event("task.declined", {
        "task": "T00000001", "ref": "R00000001", "by": "p-lou",
        "reason": "本人出差", "to": {"kind": "unit", "id": "U2",
                                  "name": "青年志愿者协会"}}),
    "ev-reopened": event("task.reopened", {
        "task": "T00000006", "ref": "R00000006", "by": "p-da",
        "reason": "居民投诉", "was": "resolved"}),
    "ev-pending": event("task.pending", {
        "task": "T00000004", "ref": "R00000004", "reason": "nobody"}),
    "ev-assigned-long-names": event("task.assigned", {
        "task": "T00000001", "ref": "R00000001",
        "assignee": {"kind": "staff", "id": "p", "name": "x" + "楼" * 85,
                     "role": "长" * 21 + "x", "node": "S111"},
        "level": "stairwell"}),
    "ev-escalated-long-reason": event("task.escalated", {
        "task": "T00000001", "ref": "R00000001",
        "to": {"kind": "staff", "name": "x" + "楼" * 85,
               "role": "长" * 21 + "x"},
        "reason": "因" * 166}),
    "ev-assigned-max": event("task.assigned", {
        "task": "T00000001", "ref": "R00000001",
        "assignee": {"kind": L * 16, "id": L * 16, "name": L * 64,
                     "role": L * 16, "node": L * 16},
        "level": "stairwell"}),
    "ev-escalated-max": event("task.escalated", {
        "task": "T00000001", "ref": "R00000001",
        "to": {"name": L * 64, "role": L * 16}, "reason": L * 125}),
    "ev-declined-max": event("task.declined", {
        "task": "T00000001", "ref": "R00000001", "reason": L * 125}),
    "ev-closed-max": event("task.closed", {
        "task": "T00000006", "ref": "R00000006",
        "satisfaction": L * 8}),
    "ev-unknown-ref": event("task.accepted", {
        "task": "T9", "ref": "R99999999", "by": "x"}),
    "ev-staff": event("staff.assigned", staff(
        "S111", "stairwell_leader", "p", "x")),
    "ev-no-data": {"ts": TS, "type": "task.accepted"},
}

DISPATCH_EVENTS = {  # intake's events, for main.c's apply hook
    "ev-grid-defined": event("grid.defined", node(
        "S212", "3栋2单元", "stairwell", "C21")),
    "ev-grid-renamed": event("grid.defined", node(
        "G1", "第一网格（东）", "grid", "HCZ")),
    "ev-grid-unusable": event("grid.defined", {"code": "X", "kind": 3}),
    "ev-accepted": event("request.accepted", {
        "ref": "R00000010", "status": "accepted", "text": "路灯坏了",
        "category": "facility", "urgency": 2, "community": "HCZ",
        "grid": "G2", "compound": "C21", "stairwell": "S211"}),
    "ev-accepted-pending": event("request.accepted", {
        "ref": "R00000011", "category": "dispute", "community": "XQ",
        "grid": "G9"}),
    "ev-accepted-unknown-category": event("request.accepted", {
        "ref": "R00000012", "category": "nope", "grid": "G1"}),
    "ev-accepted-again": event("request.accepted", {
        "ref": "R00000001", "category": "sanitation", "grid": "G1"}),
    "ev-accepted-bad": event("request.accepted", {"ref": 12}),
    "ev-grid-defined-max": event("grid.defined", node(
        L * 16, L * 64, "grid", L * 16)),
    "ev-accepted-max": event("request.accepted", {
        "ref": "R" + "9" * 22, "category": "x" * 31, "urgency": 3,
        "community": L * 16, "grid": L * 16, "compound": L * 16,
        "stairwell": L * 16}),
    "ev-cancelled": event("request.cancelled", {
        "ref": "R00000002", "reason": "不需要了", "was": "in_progress"}),
    "ev-cancelled-closed": event("request.cancelled", {
        "ref": "R00000005", "was": "closed"}),
    "ev-cancelled-triage": event("request.cancelled", {
        "ref": "R00000099", "was": "triage"}),
}

SCORING_EVENTS = {   # dispatch's events, for award.c
    "ev-closed": event("task.closed", {
        "task": "T00000002", "ref": "R00000002", "assignee": ASSIGNEE,
        "level": "stairwell", "within_grid": True,
        "participants": [{"member": "m1", "hours": 1.5},
                         {"member": "m9", "hours": 24},
                         {"member": "m2", "hours": 0}],
        "difficulty": 3, "urgency": 3, "professional": True,
        "satisfaction": "satisfied", "resolved": True,
        "accepted_ms": TS, "resolved_ms": TS + 60000,
        "resolved_by": "p-lou", "category": "sanitation", "grid": "G1",
        "followup_by": "p-da"}),
    "ev-closed-bad": event("task.closed", {
        "task": "T00000003", "ref": "R00000003", "participants": [1, "x"],
        "difficulty": 1, "urgency": 1, "satisfaction": "basically"}),
    "ev-reopened-closed": event("task.reopened", {
        "task": "T00000004", "ref": "R00000004", "by": "p-da",
        "reason": "投诉", "was": "closed"}),
    "ev-reopened-resolved": event("task.reopened", {
        "task": "T00000004", "ref": "R00000004", "was": "resolved"}),
    "ev-reopened-twice": event("task.reopened", {
        "task": "T00000005", "was": "closed"}),
    "ev-closed-max": event("task.closed", {
        "task": "T" + "9" * 22, "ref": "R" + "9" * 22,
        "participants": [{"member": L * 15 + "%04d" % i, "hours": 24}
                         for i in range(64)],
        "difficulty": 3, "urgency": 3, "professional": True,
        "satisfaction": "satisfied", "resolved_by": L * 16}),
    "ev-reopened-max": event("task.reopened", {
        "task": "T" + "9" * 22, "by": L * 16, "was": "closed"}),
    "ev-other": event("task.accepted", {"task": "T00000001"}),
}

# Seeds that crash a target today, left out until the daemon is fixed (a
# crashing seed stops libFuzzer before it starts, and `make test` with it).
# Their minimal reproducers are in fuzz/crashes/<target>; once fixed, drop
# the entry here, rerun this script, and move the reproducers into
# fuzz/corpus/<target>.
PENDING = {}

# -- hostile frames ----------------------------------------------------------


def nest(depth, inner=None, array=False):
    v = inner if inner is not None else {"k": 1}
    for _ in range(depth):
        v = [v] if array else {"d": v}
    return v


def hostile(valid):
    """Frames every daemon must answer malformed (or invalid), never crash
    on. VALID is one valid request, to cut and corrupt."""
    v = pack(valid)
    return {
        "h-empty": b"",
        "h-truncated": v[:len(v) // 2],
        "h-truncated-1": v[:-1],
        "h-trailing": v + b"\xc0",
        "h-top-array": pack([valid]),
        "h-top-str": pack("health"),
        "h-map32-huge": b"\xdf\xff\xff\xff\xff",
        "h-map16-huge": b"\xde\xff\xff\xa4type",
        "h-array32-huge": pack({"type": "health",
                                "body": Raw(b"\xdd\xff\xff\xff\xff")}),
        "h-str32-huge": pack({"type": Raw(b"\xdb\x7f\xff\xff\xff")}),
        "h-bin32-huge": pack({"type": "health",
                              "body": Raw(b"\xc6\xff\xff\xff\xf0")}),
        "h-map-over-limit": pack({"type": "health",
                                  "body": {str(i): i for i in range(257)}}),
        "h-array-over-limit": pack({"type": "health",
                                    "body": {"a": list(range(257))}}),
        "h-depth-8": pack({"type": "health", "body": nest(6)}),
        "h-depth-9": pack({"type": "health", "body": nest(7)}),
        "h-depth-33": pack({"type": "health", "body": nest(32, array=True)}),
        "h-depth-200": b"\x81\xa1d" + b"\x91" * 200 + b"\xc0",
        "h-utf8-overlong": pack({"type": Raw(b"\xa2\xc0\x80")}),
        "h-utf8-surrogate": pack({"type": "health",
                                  "id": Raw(b"\xa3\xed\xa0\x80")}),
        "h-utf8-too-big": pack({"type": Raw(b"\xa4\xf4\x90\x80\x80")}),
        "h-utf8-cut": pack({"type": Raw(b"\xa2\xe6\x88")}),
        "h-utf8-key": Raw(b"\x81\xa2\xff\xfe\xc0"),
        "h-dup-top": pack(Pairs([("type", "health"), ("type", "stats")])),
        "h-dup-body": pack({"type": "health", "body": Pairs(
            [("after", 0), ("limit", 1), ("after", 5)])}),
        "h-dup-deep": pack({"type": "stats", "body": {"a": [{"x": Pairs(
            [("k", 1), ("k", 1)])}]}}),
        "h-ext": pack({"type": "health", "body": Raw(b"\xd4\x01\x02")}),
        "h-ext32": pack({"type": "health",
                         "body": Raw(b"\xc9\x00\x00\x00\x01\x05\x00")}),
        "h-reserved-c1": pack({"type": "health", "body": Raw(b"\xc1")}),
        "h-int-key": Raw(b"\x82\xa4type\xa6health\x01\x02"),
        "h-nil-type": pack({"type": None}),
        "h-bin-type": pack({"type": b"health"}),
        "h-type-too-long": pack({"type": "x" * 65}),
        "h-id-too-long": pack({"type": "health", "id": "i" * 65}),
        "h-id-empty": pack({"type": "health", "id": ""}),
        "h-body-not-map": pack({"type": "stats", "body": [1, 2]}),
        "h-numbers": pack({"type": "events.since", "body": {
            "after": -1, "limit": (1 << 64) - 1}}),
        "h-float-ints": pack({"type": "events.since", "body": {
            "after": 1.0, "limit": float("inf")}}),
        "h-float32": pack({"type": "events.since", "body": {
            "after": Raw(b"\xca\x7f\xc0\x00\x00")}}),
        "h-over-frame": pack({"type": "health", "pad": "x" * 65536}),
        "h-str-over-limit": pack({"type": "health", "pad": "x" * 8001}),
    }


# -- dictionaries ------------------------------------------------------------


def words(table):
    out = set()

    def walk(v):
        if isinstance(v, str) and len(v.encode()) <= 40:
            out.add(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    for _, (_, r) in table.items():
        walk(r)
    return out


def dict_line(b):
    return '"' + "".join(
        chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\x%02x" % c
        for c in b) + '"'


def write_dict(path, strings, extra):
    with open(path, "w") as f:
        f.write("# libFuzzer dictionary, written by fuzz/seeds.py\n")
        for s in sorted(strings):
            f.write(dict_line(pack(s)) + "\n")
        for b in extra:
            f.write(dict_line(b) + "\n")


EXTRA = [b"\xc0", b"\xc2", b"\xc3", b"\xcb", b"\xca", b"\xcc", b"\xcd",
         b"\xce", b"\xcf", b"\xd0", b"\xd3", b"\xd9", b"\xda", b"\xdb",
         b"\xdc", b"\xdd", b"\xde", b"\xdf", b"\xc4", b"\xd4",
         b"\xff\xff\xff\xff", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
         b"\xc0\x80"]


def write(d, name, data):
    """Writes DATA as the file NAME in the directory D."""
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(os.path.join(root, "dict"), exist_ok=True)
    tables = {"intake": INTAKE, "dispatch": DISPATCH, "scoring": SCORING}
    EVENTS = {"intake": INTAKE_EVENTS, "dispatch": DISPATCH_EVENTS,
              "scoring": SCORING_EVENTS}
    frames = {}
    for target, table in tables.items():
        d = os.path.join(root, "seeds", target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, (role, r) in table.items():
            if (target, name) in PENDING:
                continue
            write(d, name, bytes([role]) + pack(r))
            frames["%s-%s" % (target, name)] = pack(r)
        for name, r in EVENTS[target].items():
            write(d, name, bytes([UP]) + pack(r))
        for i, (name, b) in enumerate(hostile(table["health"][1]).items()):
            write(d, name, bytes([i % 6]) + b)
        write_dict(os.path.join(root, "dict", target + ".dict"),
                   words(table) | words(
                       {k: (0, v) for k, v in EVENTS[target].items()}),
                   EXTRA)
    d = os.path.join(root, "seeds", "frame")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, b in list(frames.items()) + list(
            hostile(INTAKE["submit-full"][1]).items()):
        write(d, name, b)
    write_dict(os.path.join(root, "dict", "frame.dict"),
               words(INTAKE) | words(DISPATCH) | words(SCORING), EXTRA)
    n = sum(len(os.listdir(os.path.join(root, "seeds", t)))
            for t in list(tables) + ["frame"])
    print("fuzz/seeds.py: %d seeds in fuzz/seeds, dictionaries in fuzz/dict"
          % n)


if __name__ == "__main__":
    sys.exit(main())
