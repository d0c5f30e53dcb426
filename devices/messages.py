"""Device-level messages in zh-CN and en: driver errors, config errors, ``devices check`` hints.

The app's own catalog (edge/i18n.py) is for the store domain; device text lives here so
``devices`` stays independent. Keys are stable codes; ``msg(key, lang, **params)`` formats.
"""
from __future__ import annotations

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"

CATALOG: dict[str, dict[str, str]] = {
    # generic states
    "state.online": {"zh-CN": "正常", "en": "online"},
    "state.offline": {"zh-CN": "离线", "en": "offline"},
    "state.silent": {"zh-CN": "无数据", "en": "silent"},
    "state.error": {"zh-CN": "故障", "en": "error"},
    "state.not_checked": {"zh-CN": "未检查", "en": "not checked"},
    # printer reasons (PrinterError.reason)
    "printer.offline": {"zh-CN": "打印机离线或未开机", "en": "printer offline or switched off"},
    "printer.paper_out": {"zh-CN": "打印机缺纸", "en": "printer out of paper"},
    "printer.cover_open": {"zh-CN": "打印机盖未关", "en": "printer cover open"},
    "printer.not_writable": {"zh-CN": "打印输出文件不可写", "en": "printer file not writable"},
    "printer.permission_denied": {"zh-CN": "没有权限使用打印机", "en": "no permission to use the printer"},
    "printer.not_found": {"zh-CN": "未找到打印机（未插好？）", "en": "printer not found (unplugged?)"},
    "printer.bad_url": {"zh-CN": "打印机地址写错了", "en": "printer address is wrong"},
    "printer.io_error": {"zh-CN": "打印机通信错误", "en": "printer communication error"},
    "printer.bad_reply": {"zh-CN": "打印机的状态回复无法识别：检查 protocol（escpos/tspl）和波特率",
                          "en": "printer status reply not understood: check protocol (escpos/tspl) and baud rate"},
    # scanner / probe reasons
    "scanner.not_utf8": {"zh-CN": "扫码枪发来无法识别的字符", "en": "scanner sent unreadable bytes"},
    "scanner.control_chars": {"zh-CN": "扫码内容含控制字符", "en": "scan contains control characters"},
    "scanner.too_long": {"zh-CN": "扫码内容过长，已丢弃", "en": "scan too long, dropped"},
    "scanner.too_short": {"zh-CN": "扫码内容太短，不像条码（线路干扰？）", "en": "too short to be a code (line noise?)"},
    "probe.not_ascii": {"zh-CN": "探头发来无法识别的数据", "en": "probe sent unreadable bytes"},
    "probe.bad_format": {"zh-CN": "探头数据格式错误", "en": "malformed probe line"},
    "probe.bad_checksum": {"zh-CN": "探头数据校验失败", "en": "probe line checksum mismatch"},
    "probe.bad_number": {"zh-CN": "探头数据数值错误", "en": "probe line has a bad number"},
    "probe.out_of_range": {"zh-CN": "探头读数超出量程（探头故障？）", "en": "probe reading out of range (broken probe?)"},
    "probe.unknown_probe": {"zh-CN": "未配置的探头编号 {probe_id}", "en": "unconfigured probe id {probe_id}"},
    "probe.too_long": {"zh-CN": "探头数据过长，已丢弃", "en": "probe line too long, dropped"},
    "probe.no_response": {"zh-CN": "探头无应答", "en": "probe does not answer"},
    "probe.bad_response": {"zh-CN": "探头应答错误", "en": "probe gave a bad answer"},
    "probe.probe_silent": {"zh-CN": "探头 {probe_id} 长时间没有数据", "en": "probe {probe_id} has gone silent"},
    "port.disconnected": {"zh-CN": "设备已断开", "en": "device disconnected"},
    "port.port_unavailable": {"zh-CN": "串口无法打开", "en": "serial port cannot be opened"},
    "port.port_busy": {"zh-CN": "串口被其他程序占用（store-edge 已在运行？）",
                       "en": "serial port in use by another program (is store-edge already running?)"},
    "port.permission_denied": {"zh-CN": "没有串口权限", "en": "no permission on the serial port"},
    # config errors
    "config.unknown_key": {"zh-CN": "未知配置项 “{key}”{hint}",
                           "en": "unknown setting '{key}'{hint}"},
    "config.did_you_mean": {"zh-CN": "，是不是 “{suggestion}”？", "en": " - did you mean '{suggestion}'?"},
    "config.missing_key": {"zh-CN": "缺少必填项 “{key}”", "en": "required setting '{key}' is missing"},
    "config.wrong_type": {"zh-CN": "应为{expected}，实际是 {got!r}", "en": "expected {expected_en}, got {got!r}"},
    "config.bad_choice": {"zh-CN": "取值 {got!r} 无效，可选：{choices}",
                          "en": "{got!r} is not valid; choose one of: {choices}"},
    "config.bad_url": {"zh-CN": "地址 {got!r} 无效：{why}", "en": "address {got!r} is not valid: {why}"},
    "config.bad_value": {"zh-CN": "取值 {got!r} 无效：{why_zh}", "en": "{got!r} is not valid: {why}"},
    "config.duplicate": {"zh-CN": "重复的编号 {got!r}", "en": "duplicate id {got!r}"},
    # devices check hints
    "hint.dialout": {"zh-CN": "把当前用户加入 {group} 组：sudo usermod -aG {group} $USER，然后重新登录",
                     "en": "add this user to the {group} group: sudo usermod -aG {group} $USER, then log in again"},
    "hint.video": {"zh-CN": "把当前用户加入 video 组：sudo usermod -aG video $USER，然后重新登录",
                   "en": "add this user to the video group: sudo usermod -aG video $USER, then log in again"},
    "hint.lp": {"zh-CN": "把当前用户加入 lp 组：sudo usermod -aG lp $USER，然后重新登录",
                "en": "add this user to the lp group: sudo usermod -aG lp $USER, then log in again"},
    "hint.missing_port": {"zh-CN": "{path} 不存在：检查线缆是否插好、设备是否通电（查看现有设备：ls {pattern}）",
                          "en": "{path} does not exist: check the cable and power (see what exists: ls {pattern})"},
    "hint.no_answer": {"zh-CN": "端口已打开但 {seconds} 秒内没有数据：检查波特率、接线（RS-485 的 A/B）和探头编号",
                       "en": "port opens but nothing arrived in {seconds} s: check baud rate, wiring (RS-485 A/B) and probe ids"},
    "hint.printer_paper": {"zh-CN": "装纸并合上打印机盖", "en": "load paper and close the cover"},
    "hint.printer_power": {"zh-CN": "检查打印机电源、线缆或网络（ping 打印机地址）",
                           "en": "check the printer's power, cable or network (ping its address)"},
    "hint.usb_printer": {"zh-CN": "未找到 /dev/usb/lp*：检查 USB 线，或运行 lsusb 确认 VID:PID",
                         "en": "no /dev/usb/lp*: check the USB cable, or run lsusb to confirm VID:PID"},
    "hint.camera": {"zh-CN": "摄像头打不开：检查 /dev/video* 是否存在、是否被其他程序占用",
                    "en": "camera did not open: check /dev/video* exists and no other program uses it"},
    "hint.libzbar": {"zh-CN": "安装 zbar 库：sudo apt-get install libzbar0，或改用 zxing 解码",
                     "en": "install the zbar library: sudo apt-get install libzbar0, or use the zxing decoder"},
    "hint.wedge": {"zh-CN": "键盘式扫码枪无需检查：在任意输入框扫一个码试试",
                   "en": "keyboard-wedge scanners need no check: scan a code into any text field"},
    # check output
    "check.title": {"zh-CN": "设备检查", "en": "Device check"},
    "check.no_config": {"zh-CN": "没有配置任何设备（用 --config 指定配置文件）。以下是本机发现的设备：",
                        "en": "no devices configured (pass --config). Devices found on this machine:"},
    "check.simulated": {"zh-CN": "演示门店：串口设备由演示程序模拟，检查的是模拟设备",
                        "en": "demo store: its serial devices are the demo's simulators, checked as such"},
    "check.all_ok": {"zh-CN": "全部设备正常", "en": "all devices answer"},
    "check.some_bad": {"zh-CN": "{n} 个设备需要处理", "en": "{n} device(s) need attention"},
    "decode.none": {"zh-CN": "未识别到条码", "en": "no code found"},
    "decode.unreadable": {"zh-CN": "无法读取图片文件（文件损坏或没有读权限）",
                          "en": "cannot read the image file (damaged, or no permission to read it)"},
    "decode.missing": {"zh-CN": "文件不存在：检查路径", "en": "no such file: check the path"},
    "decode.is_dir": {"zh-CN": "这是文件夹，不是图片：要解码其中的图片，请写 文件夹/*.png",
                      "en": "this is a folder, not an image: for the images in it, give folder/*.png"},
    "decode.empty": {"zh-CN": "文件是空的（0 字节）", "en": "the file is empty (0 bytes)"},
    "decode.not_image": {"zh-CN": "不是图片文件（可用 PNG、JPEG、BMP、WebP、TIFF）",
                         "en": "not an image file (PNG, JPEG, BMP, WebP and TIFF work)"},
    "decode.too_large": {"zh-CN": "图片太大（{size}），超过 {limit} 像素的上限：请缩小后再试",
                         "en": "image too large ({size}), over the {limit}-pixel limit: scale it down and try again"},
    "decode.failed": {"zh-CN": "解码出错：{detail}", "en": "decoding failed: {detail}"},
}


def msg(code: str, lang: str | None = None, /, **params: object) -> str:
    """Formatted message; unknown language falls back to zh-CN, unknown code to the code itself."""
    entry = CATALOG.get(code)
    if entry is None:
        return code
    text = entry.get(lang or DEFAULT_LANG) or entry[DEFAULT_LANG]
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text


def norm_lang(lang: str | None) -> str:
    """Accept zh, zh_CN, zh-CN.UTF-8, en_US...; default zh-CN (clerks read Chinese)."""
    if not lang:
        return DEFAULT_LANG
    return "en" if lang.lower().startswith("en") else DEFAULT_LANG
