"""Words of the task board and the overdue pickups (screens, CLI, domain errors), zh-CN and en.

Registered once at import; the board and overdue modules, their screens and ``store-edge
orders`` import this one.
"""

from __future__ import annotations

from edge.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    # domain errors
    "overdue.not_open": ("订单 {order_no} 已结束（{status}），不能提醒", "Order {order_no} is closed ({status}): no reminder"),
    "overdue.reminded_recently": ("订单 {order_no} 刚在 {at} 提醒过，请稍后再发",
                                  "Order {order_no} was reminded at {at}: try again later"),
    "overdue.not_overdue": ("订单 {order_no} 没有逾期（{status}），不能退回库存",
                            "Order {order_no} is not overdue ({status}): it cannot be returned to stock"),
    # board: short labels for 80 columns
    "board.status.new": ("新单", "new"),
    "board.status.picking": ("拣货中", "picking"),
    "board.status.packed": ("打包中", "packing"),
    "board.status.ready": ("已备好", "ready"),
    "board.status.waiting": ("待到货", "waiting"),
    "board.channel.live": ("直播", "Live"),
    "board.channel.mini": ("小程序", "Mini"),
    "board.channel.counter": ("门店", "Store"),
    "board.zone.ambient": ("常", "A"),
    "board.zone.chilled": ("冷", "C"),
    "board.zone.frozen": ("冻", "F"),
    "board.window.today": ("今天", "today"),
    "board.window.next2h": ("2小时内", "next 2 h"),
    "board.window.overdue": ("已逾期", "overdue"),
    "board.dur.days": ("{d}天{h}时", "{d}d{h}h"),
    "board.dur.hours": ("{h}时{m}分", "{h}h{m}m"),
    "board.dur.minutes": ("{m}分", "{m}m"),
    "board.late": ("晚{dur}", "{dur} late"),
    "board.left": ("还有{dur}", "in {dur}"),
    "board.overdue": ("逾期{dur}", "{dur} over"),
    # board screen
    "ui.board.key.open": ("任务板", "Board"),
    "ui.board.key.back": ("返回", "Back"),
    "ui.board.key.search": ("搜索", "Search"),
    "ui.board.key.select": ("选中", "Select"),
    "ui.board.key.pick": ("拣货", "Pick"),
    "ui.board.key.pack": ("打包", "Pack"),
    "ui.board.title": ("任务板", "Task board"),
    "ui.board.counts": ("{label} {n}", "{label} {n}"),
    "ui.board.total": ("共 {n}", "{n} in all"),
    "ui.board.unseen": ("★新到 {n}", "★{n} new"),
    "ui.board.selected": ("已选 {n}", "{n} selected"),
    "ui.board.filters": ("s 状态:{status}  z 温区:{zone}  c 渠道:{channel}  w 时间:{window}  x 清除",
                         "s status:{status}  z zone:{zone}  c channel:{channel}  w when:{window}  x clear"),
    "ui.board.all": ("全部", "all"),
    "ui.board.search_placeholder": ("按 / 搜索：订单号、手机尾号 4 位或姓氏（如 王1234）",
                                    "/ to search: order number, phone last 4, or surname (王1234)"),
    "ui.board.col.order": ("订单号", "Order"),
    "ui.board.col.window": ("取货时间", "Pickup"),
    "ui.board.col.channel": ("渠道", "Via"),
    "ui.board.col.lines": ("行", "Ln"),
    "ui.board.col.zones": ("温区", "Zones"),
    "ui.board.col.status": ("状态", "Status"),
    "ui.board.col.late": ("进度", "Timing"),
    "ui.board.col.customer": ("顾客", "Name"),
    "ui.board.reminder": ("现做提醒（提前 {hours} 小时）：{orders} 该开始做了",
                          "Made to order ({hours} h ahead): start {orders} now"),
    "ui.board.loading": ("正在读取订单…", "Reading orders…"),
    "ui.board.empty": (
        "现在没有要备的订单。\n总部分配给本店的新订单同步过来后会自动出现在这里（不用重启），标 ★ 表示新到。",
        "No orders to prepare right now.\nNew orders HQ allocates to this store appear here by "
        "themselves as they sync in (no restart), marked ★ until you look at them."),
    "ui.board.empty_filtered": ("没有符合筛选条件的订单（共 {n} 个）。按 x 清除筛选，Esc 清空搜索。",
                                "No order matches the filters ({n} in all). x clears the filters, "
                                "Esc the search."),
    "ui.board.choose_first": ("先用方向键选一个订单（空格可多选组成一波）",
                              "Highlight an order first (space selects several for a wave)"),
    "ui.board.wave": ("这一波 {n} 个订单", "A wave of {n} orders"),
    # overdue pickups
    "ui.overdue.key.open": ("逾期", "Overdue"),
    "ui.overdue.key.remind": ("提醒", "Remind"),
    "ui.overdue.key.extend": ("延期", "Extend"),
    "ui.overdue.key.return": ("退库", "Return"),
    "ui.overdue.title": ("逾期未取（{n} 单）：提醒顾客、延长取货时间，或退回库存（店长）",
                         "Overdue pickups ({n}): remind, extend the window, or return to stock (manager)"),
    "ui.overdue.none": ("没有逾期未取的订单。取货时间过了还没取的订单会自动出现在这里。",
                        "No overdue pickups. Orders whose pickup window ends without a pickup "
                        "appear here by themselves."),
    "ui.overdue.col.order": ("订单号", "Order"),
    "ui.overdue.col.customer": ("顾客", "Customer"),
    "ui.overdue.col.phone": ("手机", "Phone"),
    "ui.overdue.col.ended": ("截止", "Ended"),
    "ui.overdue.col.late": ("逾期", "Overdue"),
    "ui.overdue.col.bags": ("袋", "Bags"),
    "ui.overdue.col.reminded": ("已提醒", "Reminded"),
    "ui.overdue.phone": ("尾号{last4}", "··{last4}"),
    "ui.overdue.reminded": ("已请总部提醒顾客：{order_no}", "HQ will remind the customer: {order_no}"),
    "ui.overdue.extended": ("{order_no} 取货截止改为 {until}", "{order_no} may now be picked up until {until}"),
    "ui.overdue.returned": ("{order_no} 已退回库存，总部会收到通知", "{order_no} returned to stock; HQ is told"),
    "ui.overdue.extend_title": ("延长取货时间：{order_no}", "Extend the pickup window: {order_no}"),
    "ui.overdue.extend_label": ("新截止", "New end"),
    "ui.overdue.extend_help": ("格式 2026-12-02 20:00（本地时间）；回车确认，Esc 取消",
                               "As 2026-12-02 20:00 (local time); Enter confirms, Esc cancels"),
    "ui.overdue.bad_time": ("时间格式不对：{value}（例：2026-12-02 20:00）",
                            "Not a time: {value} (e.g. 2026-12-02 20:00)"),
    "ui.overdue.return_title": ("退回库存：{order_no}", "Return to stock: {order_no}"),
    "ui.overdue.return_help": ("顾客不来取了：商品回到可售库存，订单改为「已退回库存」。需店长工号和密码；回车确认，Esc 取消",
                               "The customer is not coming: the goods go back to sellable stock and "
                               "the order becomes returned. A manager's id and PIN; Enter confirms, Esc cancels"),
    # CLI
    "cli.board.none": ("没有符合条件的订单", "No orders match"),
    "cli.board.reminded": ("已请总部提醒顾客取货：{order_no}", "HQ will remind the customer to pick up {order_no}"),
    "cli.board.extended": ("订单 {order_no} 取货截止改为 {until}（{status}）",
                            "Order {order_no} may be picked up until {until} ({status})"),
    "cli.board.returned": ("订单 {order_no} 已退回库存", "Order {order_no} returned to stock"),
    "cli.board.bad_until": ("时间格式不对：{value}（例：2026-12-02T20:00）", "Not a time: {value} (e.g. 2026-12-02T20:00)"),
    "cli.board.bad_status": ("未知状态：{value}（可选：{allowed}）", "Unknown status: {value} (one of {allowed})"),
    "cli.board.marked_overdue": ("{n} 个订单已过取货时间，标为逾期", "{n} orders past their window marked overdue"),
}

register(MESSAGES)
