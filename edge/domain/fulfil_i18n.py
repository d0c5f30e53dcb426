"""Messages of picking and packing (domain refusals and the ``store-edge orders`` output),
both languages. Registered once at import; picking/packing and their screens import it.

Refusals that name a product carry ``name_zh`` and ``name_en``; :func:`error_message`
picks the one for the reader's language (``name``).
"""

from __future__ import annotations

from edge.domain.errors import DomainError
from edge.i18n import register, t

MESSAGES: dict[str, tuple[str, str]] = {
    # refusals
    "pick.no_orders": ("请选择要拣货的订单", "Choose the orders to pick"),
    "pick.not_pickable": ("订单 {order_no} 不能拣货（{status}）", "Order {order_no} cannot be picked ({status})"),
    "pick.bad_scan": ("扫到的内容不是商品条码", "The scan is not a product barcode"),
    "pick.unknown_product": ("没有这个商品：{text}，未拣货", "No such product: {text}. Nothing picked"),
    "pick.not_on_list": ("拿错了：{name} 不在拣货单上，未拣货", "Wrong product: {name} is not on the pick list. Nothing picked"),
    "pick.already_picked": ("{name} 已经拣够了，这件未拣", "{name} is already fully picked. Nothing picked"),
    "pick.too_many": ("{sku} 只剩 {open} 件要拣，不能拣 {qty} 件", "Only {open} of {sku} left to pick, not {qty}"),
    "pick.short_too_many": ("{sku} 只剩 {open} 件要拣，缺货不能报 {qty} 件", "Only {open} of {sku} left to pick: cannot report {qty} short"),
    "pick.bad_short": ("缺货写法：商品编号:数量，例如 D001:2（收到的是 {text}）", "Short pick as SKU:QTY, e.g. D001:2 (got {text})"),
    "pick.bad_decision": ("未知决定：{decision}", "Unknown decision: {decision}"),
    "pick.no_short": ("订单 {order_no} 没有等待决定的缺货", "Order {order_no} has no short pick waiting for a decision"),
    "pick.nothing_left": ("订单 {order_no} 全部缺货，不能缺项备齐：请让总部取消订单", "Order {order_no} is short of everything: ask HQ to cancel it instead"),
    "pack.already_packed": ("订单 {order_no} 的{zone}袋已打包，放在 {slot}", "The {zone} bag of order {order_no} is already packed, at {slot}"),
    "pack.nothing_in_bag": ("订单 {order_no} 的{zone}袋全部缺货，不用打包", "The {zone} bag of order {order_no} is all missing: nothing to pack"),
    "pack.not_picked": ("订单 {order_no} 的{zone}袋还有 {count} 件没拣，先拣货", "The {zone} bag of order {order_no} still has {count} to pick: pick first"),
    "pack.unknown_slot": ("没有这个存放位：{slot}", "No such storage slot: {slot}"),
    "pack.slot_wrong_zone": ("存放位 {slot} 是{slot_zone}位，不能放{zone}袋", "Slot {slot} is for {slot_zone} bags, not {zone}"),
    "pack.no_packed_bags": ("订单 {order_no} 还没有打包好的袋子", "Order {order_no} has no packed bag yet"),
    "pack.short_open": ("订单 {order_no} 有缺货等店长决定", "Order {order_no} has a short pick waiting for a manager"),
    "pack.bags_left": ("订单 {order_no} 还有袋子没打包：{zones}", "Order {order_no} still has bags to pack: {zones}"),
    "conflict.short_pick": ("拣货缺货", "Short at pick"),
    # CLI
    "cli.orders.clerk_needed": ("请用 --clerk 写明是哪位店员", "Say who does it: --clerk ID"),
    "cli.orders.picked": ("已拣 {qty} 件 {name}（{orders}）", "Picked {qty} × {name} ({orders})"),
    "cli.orders.short": ("已报缺货 {qty} 件 {sku}：订单 {orders} 等店长决定", "Reported {qty} × {sku} short: order(s) {orders} wait for a manager's decision"),
    "cli.orders.pick_header": ("拣货单：{count} 个订单", "Pick list: {count} order(s)"),
    "cli.orders.pick_line": ("{shelf:8} {sku:8} {name}  要 {qty}  已拣 {picked}  缺 {short}  批次 {lot}",
                             "{shelf:8} {sku:8} {name}  need {qty}  picked {picked}  short {short}  lot {lot}"),
    "cli.orders.skipped": ("不再拣货：{orders}", "No longer to pick: {orders}"),
    "cli.orders.skipped_one": ("{order_no}（{status}）", "{order_no} ({status})"),
    "cli.orders.pick_done": ("全部拣完，可以打包：store-edge orders pack", "Everything picked: pack with store-edge orders pack"),
    "cli.orders.packed": ("已打包 {order_no} 的{zone}袋，放在 {slot}（{status}）", "Packed the {zone} bag of {order_no} at {slot} ({status})"),
    "cli.orders.label_queued": ("袋标签已排队打印（任务 {jobs}）", "Bag label queued (job {jobs})"),
    "cli.orders.ready": ("订单 {order_no} 待取货", "Order {order_no} is ready for pickup"),
    "cli.orders.decided": ("订单 {order_no}：{decision}（{status}）", "Order {order_no}: {decision} ({status})"),
    "cli.orders.slots": ("{zone}：{slots}", "{zone}: {slots}"),
    "decision.ready_without": ("缺项备齐（缺的退款）", "ready without the missing (refunded)"),
    "decision.wait": ("等货到再拣", "wait for the goods"),
}

register(MESSAGES)


def error_message(exc: DomainError, lang: str) -> str:
    """A refusal in the reader's language, naming a product in that language."""
    params = dict(exc.params)
    if "name_zh" in params:
        params["name"] = params["name_zh"] if lang == "zh-CN" else params["name_en"]
    if "zone" in params:
        params["zone"] = t(f"zone.{params['zone']}", lang)
    if "status" in params:
        params["status"] = t(f"status.{params['status']}", lang)
    if "slot_zone" in params:
        params["slot_zone"] = t(f"zone.{params['slot_zone']}", lang)
    return t(exc.code, lang, **params)


def skipped_text(skipped: dict[str, str], lang: str) -> str:
    """Orders that left a wave (cancelled by HQ, already ready...), with why."""
    return t("cli.orders.skipped", lang, orders=", ".join(
        t("cli.orders.skipped_one", lang, order_no=order_no, status=t(f"status.{status}", lang))
        for order_no, status in skipped.items()))
