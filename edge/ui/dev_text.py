"""Words of the device screens (cold chain, print queue, alarms), zh-CN and en."""

from __future__ import annotations

from edge.i18n import CATALOG, register

UI_DEV_MESSAGES: dict[str, tuple[str, str]] = {
    "ui.dev.key.temperatures": ("温度", "Temps"),
    "ui.dev.key.print_queue": ("打印", "Print"),
    "ui.dev.key.acknowledge": ("确认报警", "Acknowledge"),
    "ui.dev.key.reprint": ("重印副本", "Reprint copy"),
    "ui.dev.key.cancel_job": ("作废任务", "Cancel job"),
    "ui.dev.key.back": ("返回", "Back"),
    "ui.dev.key.refresh": ("刷新", "Refresh"),
    "ui.dev.key.serial_scan": ("模拟串口扫码", "Simulate serial scan"),
    # alarm banner / notice
    # the status bar's notice slot is narrow at 80 columns: fridge and temperature first
    "ui.dev.alarm_notice": ("{first}{more}", "{first}{more}"),
    "ui.dev.alarm_more": (" 另{extra}个", " +{extra} more"),
    # temperatures screen
    "ui.dev.temp.title": ("冷柜温度与报警", "Fridges, temperatures and alarms"),
    "ui.dev.temp.col_fridge": ("冷柜", "Fridge"),
    "ui.dev.temp.col_zone": ("温区", "Zone"),
    "ui.dev.temp.col_now": ("当前", "Now"),
    "ui.dev.temp.col_at": ("读数时间", "Read at"),
    "ui.dev.temp.col_limit": ("上限", "Limit"),
    "ui.dev.temp.col_state": ("状态", "State"),
    "ui.dev.cam_state.connecting": ("连接中", "connecting"),
    "ui.dev.cam_state.online": ("正常", "online"),
    "ui.dev.cam_state.offline": ("离线", "offline"),
    "ui.dev.cam_state.error": ("故障", "error"),
    "ui.dev.cam_state.silent": ("无画面", "no frames"),
    "ui.dev.cam_state.stopped": ("已停止", "stopped"),
    "ui.dev.temp.state.ok": ("正常", "OK"),
    "ui.dev.temp.state.out": ("超限", "OUT OF RANGE"),
    "ui.dev.temp.state.silent": ("无数据", "SILENT"),
    "ui.dev.temp.state.alarm": ("报警", "ALARM"),
    "ui.dev.temp.state.none": ("尚无读数", "no reading yet"),
    # [[…]] and not […]: Rich reads "[devices]" as a style tag and drops it from the screen
    "ui.dev.temp.no_fridges": ("未配置冷柜探头（在 store-edge.toml 里加 [[devices.probes]]）",
                               "No fridge probes configured (add [[devices.probes]] to store-edge.toml)"),
    "ui.dev.temp.alarms_title": ("未确认的报警", "Alarms to acknowledge"),
    "ui.dev.temp.no_alarms": ("没有未确认的报警", "No alarm to acknowledge"),
    "ui.dev.temp.record_title": ("{fridge} 24 小时：{n} 个读数，{min}～{max}°C，平均 {mean}°C，超限 {excursions} 次",
                                 "{fridge}, 24 h: {n} readings, {min} to {max}°C, mean {mean}°C, {excursions} excursion(s)"),
    "ui.dev.temp.record_empty": ("{fridge} 这 24 小时没有读数", "{fridge}: no readings in these 24 h"),
    "ui.dev.temp.line_errors": ("探头错误数据 {count} 行（已记录，不影响读数）", "{count} malformed probe line(s) counted (logged, readings unaffected)"),
    # acknowledge modal
    "ui.dev.ack.title": ("确认温度报警", "Acknowledge temperature alarm"),
    "ui.dev.ack.manager": ("店长工号", "Manager id"),
    "ui.dev.ack.pin": ("密码", "PIN"),
    "ui.dev.ack.note": ("处理说明", "What was done"),
    "ui.dev.ack.note_placeholder": ("例：门未关好，已关门并检查商品", "e.g. door was open, closed it and checked the goods"),
    "ui.dev.ack.help": ("Enter 下一项 · F5 确认 · Esc 取消", "Enter next field · F5 confirm · Esc cancel"),
    "ui.dev.ack.done": ("报警已确认", "Alarm acknowledged"),
    # print queue screen
    "ui.dev.print.title": ("打印队列与设备", "Print queue and devices"),
    "ui.dev.print.col_id": ("#", "#"),
    "ui.dev.print.col_kind": ("类型", "Kind"),
    "ui.dev.print.col_ref": ("单号", "Order"),
    "ui.dev.print.col_status": ("状态", "Status"),
    "ui.dev.print.col_why": ("原因", "Why"),
    "ui.dev.print.col_time": ("时间", "Time"),
    "ui.dev.print.copy_mark": ("副本", "copy"),
    "ui.dev.print.empty": ("还没有打印任务", "No print jobs yet"),
    "ui.dev.print.reprinted": ("已加入重印（副本 #{job_id}）", "Reprint queued (copy #{job_id})"),
    "ui.dev.print.cancelled": ("任务 #{job_id} 已作废", "Job #{job_id} cancelled"),
    "ui.dev.print.printers_ok": ("打印机就绪", "Printers ready"),
    "ui.dev.print.no_printer": ("未配置打印机：小票不会打印（配置文件 [devices.printers]）", "No printer configured: nothing will print ([devices.printers] in the config)"),
    "ui.dev.print.camera": ("摄像头 {source}：{state}，{fps} 帧/秒，最近识别 {last}", "Camera {source}: {state}, {fps} frames/s, last read {last}"),
    # scans from elsewhere
    "ui.dev.scan.to_counter": ("扫码已转到柜台：{text}", "Scan sent to the counter: {text}"),
    "ui.dev.scan.product": ("商品条码 {text}（柜台销售尚未开放）", "Product barcode {text} (counter sales not available yet)"),
    "ui.dev.scan.no_bag_order": ("袋标签上的订单不在本店：{text}", "The bag label's order is not in this store: {text}"),
}

if "ui.dev.temp.title" not in CATALOG:
    register(UI_DEV_MESSAGES)
