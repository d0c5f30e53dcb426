"""Every user-facing string, in zh-CN and en.

``t(key, lang, **params)`` formats a message; a missing key falls back to English, then to
the key itself, so a forgotten translation shows up plainly instead of crashing the counter.
Catalog entries are ``key: (zh-CN, en)``. tests/edge/test_edge_i18n.py checks both exist for
every key and that placeholders agree.
"""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

CATALOG: dict[str, tuple[str, str]] = {
    # verdicts at the counter
    "verdict.ok": ("可以交付", "Ready to hand over"),
    "verdict.unknown": ("查无此码：本店没有这个取货码的订单", "Unknown code: no order of this store has this pickup code"),
    "verdict.mistyped": ("取货码输错了（校验位不对），请核对后重输", "Code mistyped (check digit wrong): please check and type it again"),
    "verdict.malformed": ("输入无效：{why_text}", "Not a valid entry: {why_text}"),
    "verdict.other_store": ("这是其他门店的订单：{store_name}（{store_id}）", "This order belongs to another store: {store_name} ({store_id})"),
    "verdict.picked_up": ("已取货：{at}，经办店员 {clerk}", "Already picked up at {at} by {clerk}"),
    "verdict.cancelled": ("订单已取消 {reason}", "Order cancelled {reason}"),
    "verdict.returned": ("订单已逾期退回库存", "Order was overdue and returned to stock"),
    "verdict.unpaid": ("订单未付款，不能交付", "Order not paid: cannot hand over"),
    "verdict.not_ready": ("未备齐：{missing_text}", "Not ready: missing {missing_text}"),
    "verdict.before_window": ("未到取货时间（{start} 起）", "Before the pickup window (opens {start})"),
    "verdict.overdue": ("已超过取货时间（{end} 止）：需店长授权才能交付", "Pickup window passed ({end}): manager PIN needed to hand over"),
    "verdict.matches": ("手机尾号 {last4} 的订单，请选择", "Orders for phone ending {last4}: choose one"),
    "verdict.no_match": ("本店没有手机尾号 {last4} 的订单", "No order of this store for phone ending {last4}"),
    "why.empty": ("没有输入", "nothing entered"),
    "why.garbage": ("扫到的内容不是取货码", "the scan is not a pickup code"),
    "why.not_digits": ("取货码只含数字", "a pickup code has digits only"),
    "why.too_short": ("位数太少（取货码 11 位）", "too short (a pickup code has 11 digits)"),
    "why.too_long": ("位数太多（取货码 11 位）", "too long (a pickup code has 11 digits)"),
    # statuses, zones, channels
    "status.paid": ("已付款", "Paid"),
    "status.allocated": ("已分配", "Allocated"),
    "status.preparing": ("备货中", "Preparing"),
    "status.ready": ("待取货", "Ready"),
    "status.picked_up": ("已取货", "Picked up"),
    "status.partially_picked_up": ("部分取货", "Partly picked up"),
    "status.cancelled": ("已取消", "Cancelled"),
    "status.overdue": ("已逾期", "Overdue"),
    "status.returned": ("已退回库存", "Returned to stock"),
    "status.presale_waiting": ("预售等货中", "Pre-sale, waiting for goods"),
    "zone.ambient": ("常温", "Ambient"),
    "zone.chilled": ("冷藏", "Chilled"),
    "zone.frozen": ("冷冻", "Frozen"),
    "keep.ambient": ("货架", "shelf"),
    "keep.chilled": ("冷藏柜", "fridge"),
    "keep.frozen": ("冷冻柜", "freezer"),
    "channel.live": ("直播", "Live stream"),
    "channel.mini": ("小程序", "Mini-program"),
    "channel.counter": ("门店", "Counter"),
    "payment.paid": ("已付款", "Paid"),
    "payment.unpaid": ("未付款", "Unpaid"),
    "payment.refunded": ("已退款", "Refunded"),
    # how a counter sale was paid (sales.PAYMENT_METHODS)
    "payment.wechat": ("微信支付", "WeChat Pay"),
    "payment.alipay": ("支付宝", "Alipay"),
    "payment.cash": ("现金", "Cash"),
    "payment.card": ("银行卡", "Card"),
    "payment.unrecorded": ("未记录", "Not recorded"),
    "sale.bad_payment": ("不支持的支付方式：{method}", "Unknown payment method: {method}"),
    "fulfilment.pickup": ("到店自提", "Pickup"),
    "fulfilment.delivery": ("门店配送", "Delivery"),
    "reason.missing": ("缺货", "missing"),
    "reason.refused": ("顾客拒收", "refused"),
    # domain errors
    "order.unknown": ("没有这个订单：{order_no}", "No such order: {order_no}"),
    "order.bad_transition": ("订单状态不能从「{current}」变为「{new}」", "An order cannot go from {current} to {new}"),
    "order.changed_meanwhile": ("订单 {order_no} 刚被其他终端修改，请重新扫码", "Order {order_no} was just changed on another terminal: scan again"),
    "order.already_handed_over": ("订单 {order_no} 已交付，不能取消", "Order {order_no} was already handed over and cannot be cancelled"),
    "order.closed": ("订单 {order_no} 已结束（{status}）", "Order {order_no} is closed ({status})"),
    "order.bad_window": ("新的取货截止时间必须晚于现在", "The new pickup deadline must be later than now"),
    "order.no_lines": ("订单 {order_no} 没有商品", "Order {order_no} has no lines"),
    "order.bad_zone": ("未知温区：{zone}", "Unknown temperature zone: {zone}"),
    "order.bad_status": ("未知订单状态：{status}", "Unknown order status: {status}"),
    "bag.no_slot": ("请填写存放位置", "Enter where the bag is kept"),
    "bag.unknown": ("订单 {order_no} 没有{zone}袋", "Order {order_no} has no {zone} bag"),
    "bag.presale_waiting": ("预售订单 {order_no} 还在等货，不能打包", "Pre-sale order {order_no} is waiting for its goods: cannot pack yet"),
    "bag.order_closed": ("订单 {order_no} 已结束（{status}），不能打包", "Order {order_no} is closed ({status}): cannot pack"),
    "handover.bad_line": ("没有第 {line_no} 行", "No line {line_no}"),
    "cli.alarm_kind.out_of_range": ("超出温度范围", "out of range"),
    "cli.alarm_kind.silent": ("探头无数据", "probe silent"),
    "cancel_reason.customer_cancelled": ("顾客取消", "cancelled by the customer"),
    "cancel_reason.unpaid": ("超时未付款", "not paid in time"),
    "present.not_taken_line": ("第 {line_no} 行 {name} ×{qty} {reason}", "line {line_no} {name} ×{qty} {reason}"),
    "conflict.detail.refund_due": ("未取：{lines}，需总部退款", "not taken: {lines}; HQ refunds it"),
    "conflict.detail.handover_after_cancel": ("总部取消后由 {clerk} 交付：请决定是否退款",
                                              "handed over by {clerk} after HQ cancelled: decide the refund"),
    "conflict.detail.handover_unpaid": ("总部收到付款前已交付", "handed over before HQ saw a payment"),
    "conflict.detail.unknown_at_hq": ("本店有此订单，总部没有", "open here, missing from HQ"),
    "conflict.detail.order_number_reused": ("总部用本店已有的单号 {order_no} 发来另一张订单，本店未接收：请联系总部",
                                            "HQ sent another order under {order_no}, a number this store "
                                            "already holds; not taken in: call HQ"),
    "conflict.detail.order_mismatch": ("本店关于 {order_no} 的记录与总部的同号订单不是同一单，总部未采用：请联系总部",
                                       "this store's update about {order_no} is about another order than "
                                       "HQ's under that number; HQ did not apply it: call HQ"),
    "handover.bad_not_taken": ("“{item}”格式不对：应为 行号:数量:原因，例如 2:1:missing（原因 missing 缺货 或 refused 拒收）",
                               "'{item}' is not LINE:QTY:REASON, e.g. 2:1:missing (reason missing or refused)"),
    "cli.receipt_queued": ("小票已进入打印队列（#{job_id}）", "Receipt queued for printing (#{job_id})"),
    "handover.bad_reason": ("未取原因只能是缺货或拒收", "Reason must be missing or refused"),
    "handover.bad_qty": ("第 {line_no} 行数量 {qty} 不对", "Line {line_no}: quantity {qty} is not valid"),
    "handover.nothing_left": ("所有商品都未取，请改为取消订单", "Nothing would be handed over: cancel the order instead"),
    "override.required": ("需要店长授权", "Manager authorisation needed"),
    "override.no_reason": ("请填写授权原因", "Enter a reason for the override"),
    "auth.failed": ("工号或密码不对", "Wrong clerk id or PIN"),
    "auth.locked": ("{clerk_id} 密码错误次数过多，已锁定：{minutes} 分钟后再试，或请店长解锁", "{clerk_id} is locked after too many wrong PINs: try again in {minutes} min, or ask a manager to unlock"),
    "auth.not_manager": ("{clerk_id} 不是店长，不能授权", "{clerk_id} is not a manager and cannot authorise"),
    "auth.unknown_clerk": ("没有这个店员：{clerk_id}", "No such clerk: {clerk_id}"),
    "clerk.exists": ("工号 {clerk_id} 已存在", "Clerk id {clerk_id} already exists"),
    "clerk.bad_pin_format": ("密码须为 4–8 位数字", "A PIN is 4–8 digits"),
    "clerk.bad_role": ("未知角色：{role}", "Unknown role: {role}"),
    "stock.bad_qty": ("数量不对：{qty}", "Invalid quantity: {qty}"),
    "stock.bad_reason": ("未知调整原因：{reason}", "Unknown adjustment reason: {reason}"),
    "stock.not_enough": ("{sku} 可售库存不足：需要 {wanted}，只有 {available}", "Not enough sellable {sku}: wanted {wanted}, have {available}"),
    "sale.empty": ("这笔销售没有商品", "The sale has no items"),
    "sale.unknown_sku": ("没有这个商品：{sku}", "No such product: {sku}"),
    # CLI
    "cli.not_initialised": ("{path} 还不是门店数据目录。新门店请运行：store-edge init --data-dir {path}（只想试用：store-edge demo）", "{path} is not a store data directory yet. For a new store run: store-edge init --data-dir {path} (just trying it out: store-edge demo)"),
    "cli.handed_over": ("已交付订单 {order_no}（{status}）", "Handed over order {order_no} ({status})"),
    "cli.seeded": ("演示门店已建好：{path}（{orders} 个订单）", "Demo store created in {path} ({orders} orders)"),
    "cli.demo_exists": ("{path} 里已有演示门店，未重新生成（--fresh 删除后重建）",
                        "A demo store is already in {path}: nothing seeded (--fresh starts it again)"),
    "cli.bad_date": ("日期格式不对：{value}（例：2026-11-01 或 2026-11-01T08:00）", "Not a date: {value} (e.g. 2026-11-01 or 2026-11-01T08:00)"),
    "cli.temps_header": ("{fridge}（{probe}，上限 {limit} °C）：{n} 条读数，最低 {low} °C，最高 {high} °C，报警 {alarms} 次",
                         "{fridge} ({probe}, limit {limit} °C): {n} readings, low {low} °C, high {high} °C, {alarms} alarms"),
    "cli.config_error": ("配置文件有误：{message}", "Config file error: {message}"),
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The message for ``key`` in ``lang``, formatted with ``params``."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    text = entry[0] if lang == "zh-CN" else entry[1]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def register(entries: dict[str, tuple[str, str]]) -> None:
    """Add a module's messages (e.g. the UI's) to the catalog; a clash is a bug."""
    clash = CATALOG.keys() & entries.keys()
    if clash:
        raise ValueError(f"duplicate i18n keys: {sorted(clash)}")
    CATALOG.update(entries)
