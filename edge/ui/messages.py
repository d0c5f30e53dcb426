"""The terminal UI's own words, in zh-CN and en (domain messages live in edge.i18n)."""

from __future__ import annotations

from edge.i18n import register

UI_MESSAGES: dict[str, tuple[str, str]] = {
    # key hints (footer)
    "ui.key.hand_over": ("交付", "Hand over"),
    "ui.key.partial": ("部分取", "Partial"),
    "ui.key.clear": ("清空", "Clear"),
    "ui.key.sign_in": ("换人", "Sign in"),
    "ui.key.demo_codes": ("演示码", "Codes"),
    "ui.key.language": ("English", "中文"),
    "ui.key.quit": ("退出", "Quit"),
    "ui.quit_hint": ("按 Ctrl+Q 退出程序", "Press Ctrl+Q to quit"),
    "ui.resumed": ("已恢复上次终端关闭时未完成的操作", "Reopened what was in progress when the terminal closed"),
    "ui.quit_hint_title": ("要退出吗？", "Do you want to quit?"),
    "ui.key.cancel": ("取消", "Cancel"),
    "ui.key.confirm": ("确认", "Confirm"),
    "ui.key.choose": ("选择", "Choose"),
    # status bar
    "ui.status.nobody": ("未登录", "not signed in"),
    "ui.status.online": ("● 在线", "● online"),
    "ui.status.offline": ("● 离线", "● offline"),
    "ui.status.pending": ("待传 {pending}", "{pending} to send"),
    "ui.status.conflicts": ("冲突 {conflicts}", "{conflicts} conflicts"),
    # counter
    "ui.counter.scan_label": ("扫码", "Scan"),
    "ui.counter.placeholder": ("扫取货码 / 输入 11 位码 / 手机尾号 4 位",
                               "scan or type the code / phone last 4"),
    "ui.counter.empty_title": ("请扫描顾客的取货二维码", "Scan the customer's pickup QR code"),
    "ui.counter.empty_help": (
        "· 也可以手动输入 11 位取货码，空格和短横线都可以\n"
        "· 或输入手机尾号 4 位（可加姓氏，如 王1234），再用 ↑↓ 选择、回车确认\n"
        "· F5 交付　F6 部分取货　Esc 清空　F2 换人登录　F9 English　Ctrl+Q 退出",
        "· Or type the 11-digit pickup code (spaces and dashes are fine)\n"
        "· Or type the phone's last 4 digits (plus the surname, e.g. 王1234),\n"
        "  then ↑↓ to choose and Enter\n"
        "· F5 hand over  F6 partial  Esc clear  F2 sign in  F9 中文  Ctrl+Q quit"),
    "ui.key.demo_camera": ("摄像头演示", "Camera demo"),
    "ui.demo.camera_playing": ("演示摄像头正在读取它的图片文件夹里的取货码",
                               "The demo camera is reading the pickup codes in its image folder"),
    "ui.demo.no_camera": ("没有可启动的摄像头（已在读取，或未配置）",
                          "No camera to start (already reading, or none configured)"),
    "ui.counter.next_entry": ("下一个：{entry}（当前订单处理完后按回车查看）",
                              "Next: {entry} (Enter on the empty field when done with this order)"),
    "ui.counter.checking": ("正在查询…", "Checking…"),
    "ui.counter.handed_over": ("✔ 已交付 {order_no}　请扫下一位顾客", "✔ Handed over {order_no}. Next customer, please"),
    "ui.counter.handed_over_partial": ("✔ 已部分交付 {order_no}：{count} 件未取",
                                       "✔ Handed over {order_no} in part: {count} not taken"),
    "ui.counter.nothing_to_hand_over": ("请先扫码：没有可交付的订单", "Scan a code first: no order to hand over"),
    "ui.counter.cannot_hand_over": ("不能交付：{message}", "Cannot hand over: {message}"),
    "ui.hint.ok": ("按 F5 交付　　F6 部分取货", "F5 hand over    F6 partial pickup"),
    "ui.hint.override": ("按 F5 请店长授权后交付", "F5: hand over with a manager's PIN"),
    "ui.counter.choose_hint": ("↑↓ 选择，回车确认，Esc 取消", "↑↓ to choose, Enter to confirm, Esc to cancel"),
    "ui.counter.match_row": ("{order_no}  {customer}  尾号{last4}  {status}  {window}",
                             "{order_no}  {customer}  ··{last4}  {status}  {window}"),
    "ui.counter.error": ("出错了：{message}", "Something went wrong: {message}"),
    # order card
    "ui.card.order_no": ("订单", "Order"),
    "ui.card.customer": ("顾客", "Customer"),
    "ui.card.phone": ("尾号", "Phone"),
    "ui.card.window": ("取货时间", "Pickup"),
    "ui.card.payment": ("付款", "Payment"),
    "ui.card.status": ("状态", "Status"),
    "ui.card.lines": ("商品", "Items"),
    "ui.card.bags": ("袋子 / 存放位置", "Bags / kept at"),
    "ui.card.bag": ("{zone}袋 #{bag_no}", "{zone} bag #{bag_no}"),
    "ui.card.packed": ("已打包", "packed"),
    "ui.card.not_packed": ("未打包", "not packed"),
    "ui.card.no_slot": ("—", "—"),
    "ui.card.not_taken": ("未取 {qty}（{reason}）", "not taken {qty} ({reason})"),
    "ui.card.given_up": ("缺货，不装袋", "missing: no bag"),
    "ui.card.made_to_order": ("现做", "made to order"),
    # override
    "ui.override.title": ("店长授权交付", "Manager override"),
    "ui.override.manager": ("店长工号", "Manager id"),
    "ui.override.pin": ("店长密码", "Manager PIN"),
    "ui.override.reason": ("原因", "Reason"),
    "ui.override.reason_placeholder": ("例如：顾客临时到店，店长同意", "e.g. customer came late, manager agreed"),
    "ui.override.help": ("回车/F5 确认交付　Esc 取消", "Enter/F5 hand over  Esc cancel"),
    # partial pickup
    "ui.partial.title": ("部分取货：标记未取的商品", "Partial pickup: mark lines not taken"),
    "ui.partial.help": ("在未取的行填写数量，选择原因；F5 交付其余商品　Esc 取消",
                        "Enter the quantity not taken and the reason; F5 hands over the rest, Esc cancels"),
    "ui.partial.qty_placeholder": ("未取数量", "qty not taken"),
    "ui.partial.none_marked": ("请至少在一行填写未取数量", "Mark at least one line as not taken"),
    "ui.partial.bad_qty": ("第 {line_no} 行：未取数量须在 1–{max} 之间", "Line {line_no}: quantity not taken must be 1–{max}"),
    # sign-in
    "ui.signin.title": ("店员登录", "Clerk sign-in"),
    "ui.signin.clerk": ("工号", "Clerk id"),
    "ui.signin.pin": ("密码", "PIN"),
    "ui.signin.help": ("输入工号和密码后回车　Esc 返回", "Type your clerk id and PIN, then Enter  Esc back"),
    "ui.signin.welcome": ("{name}，你好", "Hello, {name}"),
    "ui.signin.checking": ("正在核对…", "Checking…"),
    # demo codes
    "ui.demo.title": ("演示取货码（回车：拿去柜台扫码）", "Demo pickup codes (Enter: scan it at the counter)"),
    "ui.demo.code": ("取货码", "Code"),
    "ui.demo.order_no": ("订单号", "Order"),
    "ui.demo.status": ("状态", "Status"),
    "ui.demo.scenario": ("场景", "Scenario"),
    "ui.demo.people": ("演示店员：", "Demo clerks:"),
    "ui.demo.none": ("没有演示取货码（demo-codes.json）", "No demo codes (demo-codes.json)"),
    "ui.scenario.before_window": ("未到时间", "before window"),
    "ui.scenario.preparing": ("备货中", "preparing"),
    "ui.scenario.allocated": ("已分配", "allocated"),
    "ui.scenario.picked_up": ("已取货", "picked up"),
    "ui.scenario.partial": ("部分取货", "partial"),
    "ui.scenario.overdue": ("逾期", "overdue"),
    "ui.scenario.cancelled": ("已取消", "cancelled"),
    "ui.scenario.returned": ("已退库", "returned"),
    "ui.scenario.other_store": ("其他门店", "other store"),
    "ui.scenario.ready": ("可取货", "ready"),
    "ui.role.clerk": ("店员", "clerk"),
    "ui.role.manager": ("店长", "manager"),
}

register(UI_MESSAGES)
