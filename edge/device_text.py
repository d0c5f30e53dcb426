"""Messages of the store side of devices (print queue, cold chain, scanners), both languages.

Imported by every module that uses these keys, so ``t()`` finds them wherever they are shown.
Keys: ``dev.*`` for domain/service words and errors, ``ui.dev.*`` for screens.
"""

from __future__ import annotations

from edge.i18n import CATALOG, register

ENTRIES: dict[str, tuple[str, str]] = {
    # receipt and label words (printed)
    "dev.receipt.title": ("取货小票", "Pickup receipt"),
    "dev.receipt.sale_title": ("销售小票", "Sales receipt"),
    "dev.print.unknown_sale": ("没有这笔销售：{sale_id}", "No such sale: {sale_id}"),
    "dev.receipt.order_no": ("单号", "Order"),
    "dev.receipt.item": ("商品", "Item"),
    "dev.receipt.qty": ("数量", "Qty"),
    "dev.receipt.amount": ("金额", "Amount"),
    "dev.receipt.total": ("合计", "Total"),
    "dev.receipt.clerk": ("店员", "Clerk"),
    "dev.receipt.time": ("时间", "Time"),
    "dev.receipt.customer": ("顾客", "Customer"),
    "dev.receipt.copy": ("重印 副本 COPY", "COPY - REPRINT"),
    "dev.receipt.qr_hint": ("扫码查看电子小票", "Scan for the e-receipt"),
    "dev.receipt.not_taken": ("未取：{name} ×{qty}（{reason}）", "Not taken: {name} x{qty} ({reason})"),
    "dev.receipt.footer": ("谢谢惠顾，欢迎再次光临", "Thank you, see you again"),
    "dev.label.bag": ("袋", "Bag"),
    "dev.label.slot": ("位置", "Slot"),
    "dev.label.pickup": ("取货时间", "Pickup"),
    "dev.label.delivery": ("外送送达", "Deliver by"),
    "dev.label.customer": ("顾客", "Customer"),
    "dev.label.copy": ("重印 副本 COPY", "COPY - REPRINT"),
    "dev.zone_label.ambient": ("常温 AMBIENT", "AMBIENT 常温"),
    "dev.zone_label.chilled": ("冷藏 CHILLED", "CHILLED 冷藏"),
    "dev.zone_label.frozen": ("冷冻 FROZEN", "FROZEN 冷冻"),
    # print queue
    "dev.job.receipt": ("小票", "Receipt"),
    "dev.job.bag_label": ("袋标签", "Bag label"),
    "dev.job.day_end": ("日结报表", "Day-end report"),
    "dev.job_status.queued": ("排队中", "Queued"),
    "dev.job_status.printing": ("打印中", "Printing"),
    "dev.job_status.printed": ("已打印", "Printed"),
    "dev.job_status.failed_waiting": ("等待处理", "Waiting"),
    "dev.job_status.cancelled": ("已作废", "Cancelled"),
    "dev.print.unknown_job": ("没有这个打印任务：{job_id}", "No such print job: {job_id}"),
    "dev.print.not_claimable": ("打印任务 {job_id} 已被处理（{status}）", "Print job {job_id} is already taken ({status})"),
    "dev.print.nothing_to_print": ("订单 {order_no} 没有可打印的内容", "Order {order_no} has nothing to print"),
    "dev.print.cannot_cancel": ("打印任务 {job_id} 不能作废（{status}）", "Print job {job_id} cannot be cancelled ({status})"),
    # printer reasons (status bar and job list)
    "dev.printer.ready": ("打印机就绪", "Printer ready"),
    "dev.printer.none": ("未配置打印机", "No printer configured"),
    "dev.reason.offline": ("打印机离线或未开机", "printer offline or switched off"),
    "dev.reason.paper_out": ("打印机缺纸，请装纸", "printer out of paper: load paper"),
    "dev.reason.cover_open": ("打印机盖未合上", "printer cover open"),
    "dev.reason.not_writable": ("打印输出不可写", "printer output not writable"),
    "dev.reason.permission_denied": ("无权访问打印机（检查 lp 组权限）", "no permission to open the printer (lp group?)"),
    "dev.reason.not_found": ("找不到打印机（未连接？）", "printer not found (unplugged?)"),
    "dev.reason.bad_url": ("打印机地址配置有误", "printer address in the config is wrong"),
    "dev.reason.io_error": ("打印机通信出错", "printer communication error"),
    "dev.reason.bad_reply": ("打印机回复无法识别（协议设置对吗？）", "printer reply not understood (is the protocol setting right?)"),
    "dev.reason.interrupted": ("打印中断，可能已打出：如需要请重印（副本）", "interrupted while printing, may have printed: reprint as copy if needed"),
    "dev.reason.bad_job": ("打印内容有误，无法打印", "the document could not be printed"),
    "dev.reason.replaced": ("已由副本 #{copy_id} 代替", "replaced by copy #{copy_id}"),
    # status-bar notices are short: the slot is ~20 columns at 80x24
    "dev.printer.status.receipt": ("小票打印机{reason}", "Printer: {reason}"),
    "dev.printer.status.label": ("标签打印机{reason}", "Label printer: {reason}"),
    "dev.short.offline": ("离线", "offline"),
    "dev.short.paper_out": ("缺纸", "no paper"),
    "dev.short.cover_open": ("开盖", "cover open"),
    "dev.short.not_writable": ("无法写入", "not writable"),
    "dev.short.permission_denied": ("无权限", "no permission"),
    "dev.short.not_found": ("未连接", "not found"),
    "dev.short.bad_url": ("地址错误", "bad address"),
    "dev.short.io_error": ("通信错误", "I/O error"),
    "dev.short.bad_reply": ("回复异常", "bad reply"),
    "dev.alarm.short": ("{fridge} {celsius}°C", "{fridge} {celsius}°C"),
    "dev.alarm.short_silent": ("{fridge} 无数据", "{fridge} silent"),
    "dev.alarm.short_recovered": ("{fridge} 已恢复（最高 {celsius}°C）待确认",
                                  "{fridge} back to normal (peak {celsius}°C), to acknowledge"),
    # cold chain
    "dev.alarm.out_of_range": ("{fridge} 温度超限：{celsius}°C（上限 {limit}°C），自 {since}", "{fridge} out of range: {celsius}°C (limit {limit}°C) since {since}"),
    "dev.alarm.too_cold": ("{fridge} 温度过低：{celsius}°C（下限 {limit}°C），自 {since}", "{fridge} too cold: {celsius}°C (limit {limit}°C) since {since}"),
    "dev.alarm.silent": ("{fridge} 探头无数据（断线或故障），自 {since}", "{fridge} probe silent (disconnected or broken) since {since}"),
    "dev.alarm.cleared": ("已恢复", "back to normal"),
    "dev.temp.unknown_alarm": ("没有这个报警：{alarm_id}", "No such alarm: {alarm_id}"),
    "dev.temp.already_acknowledged": ("报警 {alarm_id} 已由 {by} 确认", "Alarm {alarm_id} was already acknowledged by {by}"),
    "dev.temp.no_note": ("请填写处理说明", "Enter what was done"),
    "dev.temp.bad_fridge": ("冷柜配置有误：{why}", "Fridge configuration error: {why}"),
    "dev.temp.unknown_fridge": ("没有这个冷柜：{probe_id}（本店的探头：{known}）",
                                "No such fridge: {probe_id} (this store's probes: {known})"),
    # scanners
    "dev.scan.bad": ("扫码内容无法识别（{reason}），请重扫", "Unreadable scan ({reason}): scan again"),
    "dev.scan.bad_more": ("扫码内容无法识别（{reason}），另有 {n} 条干扰已忽略；如一直出现，检查扫码枪的线和波特率",
                          "Unreadable scan ({reason}), {n} more ignored; if it keeps happening, check the scanner's cable and baud rate"),
    "dev.scan.product": ("商品条码 {code}", "Product barcode {code}"),
    "dev.device.offline": ("{device} 离线：{reason}", "{device} offline: {reason}"),
}


def _register_once() -> None:
    if "dev.receipt.title" not in CATALOG:
        register(ENTRIES)


_register_once()
