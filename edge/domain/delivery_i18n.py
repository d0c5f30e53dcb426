"""Messages of delivery from the store (courier hand-off, clerk delivery, the manager's
decision, the board's countdown), both languages. Registered once at import."""

from __future__ import annotations

from edge.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    # verdicts (the counter's, plus the parcel's)
    "verdict.delivery": ("外送订单：请在外送页（ctrl+y）交给骑手", "Delivery order: hand it to the courier on the delivery screen (ctrl+y)"),
    "verdict.courier_ok": ("可以交给骑手：{zones_text}", "Ready for the courier: {zones_text}"),
    "verdict.collected": ("骑手已取走：{at}，骑手 {courier}", "Already collected at {at} by courier {courier}"),
    "verdict.delivered": ("已送达：{at}", "Already delivered at {at}"),
    "verdict.delivery_failed": ("配送失败，货已带回：等店长决定（退回库存或再送一次）", "Delivery failed, goods are back: a manager decides (back to stock or try again)"),
    "verdict.no_parcel": ("这个订单没有{zone}包裹", "This order has no {zone} parcel"),
    # refusals
    "delivery.bad_courier": ("请写骑手姓名（最多 {max} 个字）", "Give the courier's name (at most {max} characters)"),
    "delivery.not_clerk_delivery": ("订单 {order_no} 由配送平台的骑手送，不是店员送", "Order {order_no} is carried by a platform courier, not a store clerk"),
    "delivery.not_out": ("订单 {order_no} 不在配送中（{status}）", "Order {order_no} is not out for delivery ({status})"),
    "delivery.code_mistyped": ("收货码输错了（校验位不对），请核对后重输", "Delivery code mistyped (check digit wrong): check and type it again"),
    "delivery.code_shape": ("收货码是 11 位数字", "A delivery code has 11 digits"),
    "delivery.wrong_code": ("收货码不对：不是订单 {order_no} 的收货码，未送达", "Wrong delivery code for order {order_no}: not marked delivered"),
    "delivery.bad_reason": ("失败原因只能是：{reasons}", "The reason must be one of: {reasons}"),
    "delivery.bad_decision": ("决定只能是 return（退回库存）或 retry（再送一次）", "The decision must be return (back to stock) or retry (try again)"),
    "delivery.not_failed": ("订单 {order_no} 没有配送失败（{status}）", "Order {order_no} has no failed delivery ({status})"),
    "delivery.not_delivery": ("订单 {order_no} 不是外送订单", "Order {order_no} is not a delivery order"),
    # words
    "delivery.reason.not_home": ("不在家", "not at home"),
    "delivery.reason.refused": ("拒收", "refused"),
    "delivery.reason.address": ("地址不对", "wrong address"),
    "delivery.decision.return": ("退回库存", "back to stock"),
    "delivery.decision.retry": ("再送一次", "try again"),
    "delivery.mode.platform": ("平台骑手", "platform courier"),
    "delivery.mode.store": ("店员配送", "store clerk"),
    "delivery.courier_given_up": ("✗ 平台未派到骑手", "✗ platform found no rider"),
    "delivery.courier_given_up_note": ("✗ 平台未派到骑手：{note}", "✗ platform found no rider: {note}"),
    "status.out_for_delivery": ("配送中", "Out for delivery"),
    "status.delivered": ("已送达", "Delivered"),
    "status.delivery_failed": ("配送失败", "Delivery failed"),
    # the board's countdown and how the late flag is worked out
    "delivery.left": ("剩{minutes}分", "{minutes}m left"),
    "delivery.late": ("超时{minutes}分", "{minutes}m late"),
    "delivery.at_risk": ("要晚了", "at risk"),
    "delivery.usual": ("⚠外送：剩余<拣打包{prep}分+等骑手{handoff}分+路上{ride}分（{source}）",
                       "⚠ delivery: left < pick+pack {prep}m + courier {handoff}m + ride {ride}m ({source})"),
    "delivery.usual.history": ("本店近{n}单中位数", "median, last {n}"),
    "delivery.usual.default": ("不足{n}单，默认值", "defaults: <{n} on record"),
    "board.delivery_by": ("送达{at}", "by {at}"),
    # the delivery screen (ctrl+y)
    "ui.delivery.key.open": ("外送", "Delivery"),
    "ui.delivery.key.hand_off": ("交骑手", "Hand off"),
    "ui.delivery.key.delivered": ("已送达", "Delivered"),
    "ui.delivery.key.failed": ("送达失败", "Failed"),
    "ui.delivery.key.return": ("退回库存", "To stock"),
    "ui.delivery.key.retry": ("再送", "Retry"),
    "ui.delivery.title": ("外送（{n} 单）：扫骑手取货码或包裹标签，回车；写骑手姓名，F5 交出",
                          "Delivery ({n}): scan the courier's code or a parcel label, Enter; courier's name, F5"),
    "ui.delivery.scan": ("取货码", "Code"),
    "ui.delivery.courier": ("骑手", "Courier"),
    "ui.delivery.col.order": ("订单", "Order"),
    "ui.delivery.col.by": ("送达", "By"),
    "ui.delivery.col.left": ("剩余", "Left"),
    "ui.delivery.col.status": ("状态", "Status"),
    "ui.delivery.col.courier": ("骑手", "Courier"),
    "ui.delivery.col.address": ("地址", "Address"),
    "ui.delivery.code_title": ("订单 {order_no} 送达：顾客的收货码", "Order {order_no} delivered: the customer's delivery code"),
    "ui.delivery.code": ("收货码", "Code"),
    "ui.delivery.code_help": ("顾客 App 里的 11 位收货码；回车确认，Esc 取消", "The 11-digit code in the customer's app; Enter to confirm, Esc to cancel"),
    "ui.delivery.return_title": ("订单 {order_no} 配送失败：退回库存", "Order {order_no} not delivered: back to stock"),
    "ui.delivery.retry_title": ("订单 {order_no} 配送失败：再送一次", "Order {order_no} not delivered: try again"),
    "ui.delivery.decide_help": ("店长决定（记入审计）：需店长工号和密码；回车确认，Esc 取消",
                                "A manager's decision (audited): manager ID and PIN; Enter to confirm, Esc to cancel"),
    # CLI
    "cli.delivery.handed": ("订单 {order_no} 的{zones}包裹已交给骑手 {courier}（{status}）", "Order {order_no}: {zones} parcel(s) handed to courier {courier} ({status})"),
    "cli.delivery.delivered": ("订单 {order_no} 已送达", "Order {order_no} delivered"),
    "cli.delivery.failed": ("订单 {order_no} 配送失败（{reason}）：货带回店里，等店长决定", "Order {order_no} not delivered ({reason}): goods back at the store, a manager decides"),
    "cli.delivery.decided": ("订单 {order_no}：{decision}（{status}）", "Order {order_no}: {decision} ({status})"),
    "cli.delivery.courier_needed": ("请用 --courier 写骑手姓名", "Name the courier: --courier NAME"),
}

register(MESSAGES)
