"""Messages of the stock work (domain errors, ``store-edge stock``), both languages.

Registered once at import; edge.domain.stock imports this module, so every caller that can
meet one of these errors has them.
"""

from __future__ import annotations

from edge.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    # domain errors
    "stock.unknown_sku": ("没有这个商品：{sku}", "No such product: {sku}"),
    "stock.bad_lot": ("批号不对：「{lot}」（1–40 个可打印字符）", "Not a valid lot code: '{lot}' (1–40 printable characters)"),
    "stock.bad_expiry": ("保质期日期不对：{expiry}（例：2026-11-30）", "Not an expiry date: {expiry} (e.g. 2026-11-30)"),
    "stock.revoke_too_many": ("{sku} 只有 {granted} 件仍授权给总部且未被下单，不能收回 {wanted} 件",
                              "Only {granted} units of {sku} are granted to HQ and not yet ordered: cannot take back {wanted}"),
    "stock.markdown_rule": ("建议折扣：冷藏品到期当天 5 折、剩 1 天 7 折、更早 8 折；常温、冷冻品 7 / 8 / 9 折。已过期：下架报损（原因：过期）。",
                            "Markdown: chilled 50% off on its last day, 30% with 1 day left, 20% before; ambient/frozen 30/20/10%. Expired: off the shelf, book it out (reason: expired)."),
    "stock.markdown": ("减价 {percent}%", "{percent}% off"),
    "stock.expired": ("已过期：下架", "expired: remove"),
    "stock.reason.damaged": ("损坏", "damaged"),
    "stock.reason.expired": ("过期", "expired"),
    "stock.reason.found": ("找到（多出）", "found"),
    "stock.reason.lost": ("丢失", "lost"),
    "stock.reason.count": ("盘点", "count"),
    "stock.reason.other": ("其他", "other"),
    # store-edge stock
    "cli.stock.header": ("商品|在库|线上|预留|可售", "SKU|on hand|online|reserved|sellable"),
    "cli.stock.negative": ("负库存：请盘点", "NEGATIVE: count it"),
    "cli.stock.over_promised": ("承诺多于在库", "promised more than on hand"),
    "cli.stock.empty": ("还没有库存。收货：store-edge stock receive 调拨单号 --clerk 工号，或 --sku --lot --qty",
                        "No stock yet. Receive goods: store-edge stock receive TRANSFER_ID --clerk ID, or --sku --lot --qty"),
    "cli.stock.near_header": ("{days} 天内到期的批次（今天 {today}）", "Lots expiring within {days} days (today {today})"),
    "cli.stock.near_empty": ("{days} 天内没有到期的批次", "No lot expires within {days} days"),
    "cli.stock.days_left": ("剩 {days} 天", "{days} days left"),
    "cli.stock.received": ("已收货：{what}", "Received: {what}"),
    "cli.stock.counted": ("{sku} 盘点已记录：{based_on} → {counted}（差 {diff}）；授权总部 {allotment}",
                          "{sku} count recorded: {based_on} → {counted} ({diff}); online {allotment}"),
    "cli.stock.count_same": ("{sku} 盘点与账面相同（{counted}），未记录变动", "{sku} count matches the books ({counted}): nothing to record"),
    "cli.stock.adjusted": ("{sku} 已调整 {qty}（{reason}）；在库 {on_hand}，授权总部 {allotment}",
                           "{sku} adjusted {qty} ({reason}); on hand {on_hand}, online {allotment}"),
    "cli.stock.granted": ("{sku} 已授权总部 {qty} 件在线销售；授权总部 {allotment}，门店可售 {sellable}",
                          "{sku}: granted {qty} more units to HQ for online sale; online {allotment}, sellable {sellable}"),
    "cli.stock.revoked": ("{sku} 已从总部收回 {qty} 件；授权总部 {allotment}，门店可售 {sellable}",
                          "{sku}: took {qty} units back from HQ; online {allotment}, sellable {sellable}"),
    "stock.presale_none": ("{sku} 没有已到货未售出的预售件", "{sku} has no pre-sale units here that nobody bought"),
    "stock.transfer_no_line": ("调拨单 {transfer_id} 没有第 {line} 行", "Transfer {transfer_id} has no line {line}"),
    "stock.transfer_bad_received": ("{sku} 实收 {qty} 件不对：应在 0 到 {announced} 之间（多到的货请另行收货：--sku --lot --qty）",
                                    "{sku}: {qty} received is not possible: 0 to {announced} (book extra goods with --sku --lot --qty)"),
    "cli.stock.bad_got": ("--got 写法：商品=件数 或 行号=件数，例：--got M1=8（「{value}」）",
                          "--got takes SKU=N or LINE=N, e.g. --got M1=8 ('{value}')"),
    "cli.stock.received_short": ("到货不足：{what}", "Delivered short: {what}"),
    "cli.stock.presale_released": ("预售：{released} 单进入任务看板，{waiting} 单仍在等货",
                                   "Pre-sale: {released} orders to the task board, {waiting} still waiting for goods"),
    "cli.stock.presale_header": ("预售商品|总部池|已售|已到|留存|等货单", "Pre-sale SKU|HQ pool|sold|arrived|held|waiting"),
    "cli.stock.presale_ended": ("{sku} 预售已结束：{qty} 件转为门店可售", "{sku} pre-sale ended: {qty} units to the shelf"),
    "cli.stock.receive_usage": ("请给调拨单号，或同时给 --sku --lot --qty", "Give a transfer id, or --sku, --lot and --qty together"),
}

register(MESSAGES)
