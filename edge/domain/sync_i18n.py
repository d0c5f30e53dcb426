"""Messages of the sync work (domain errors and the ``store-edge sync`` summary), both languages.

Registered once at import; every module that raises or prints one of these imports this one.
"""

from __future__ import annotations

from edge.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    # domain errors
    "sync.transfer_unknown": ("没有这张调拨单：{transfer_id}", "No such transfer: {transfer_id}"),
    "sync.transfer_received": ("调拨单 {transfer_id} 已于 {at} 收货", "Transfer {transfer_id} was already received at {at}"),
    "sync.task_unknown": ("没有这个任务：{task_id}", "No such task: {task_id}"),
    "sync.task_exists": ("任务已存在：{task_id}", "Task already exists: {task_id}"),
    "sync.task_bad_status": ("任务状态不能改为「{status}」", "A task cannot be set to {status}"),
    "sync.conflict_unknown": ("没有这条冲突记录：{conflict_id}", "No such conflict: {conflict_id}"),
    # a value the store refuses to send to HQ (outbox.check_event); nothing was saved
    "sync.value_nul": ("「{field}」含有空字符（NUL），无法保存，请重新输入", "{field} contains a NUL character and cannot be saved; enter it again"),
    "sync.value_surrogate": ("「{field}」含有无效字符，无法保存，请重新输入", "{field} contains an invalid character and cannot be saved; enter it again"),
    "sync.value_too_long": ("「{field}」太长，无法保存", "{field} is too long to be saved"),
    "sync.value_int64": ("「{field}」数值太大，无法保存", "{field} is a number too large to be saved"),
    "sync.value_not_finite": ("「{field}」不是有效数字，无法保存", "{field} is not a valid number and cannot be saved"),
    "sync.value_too_deep": ("「{field}」层级太深，无法保存", "{field} is nested too deeply to be saved"),
    "sync.value_key": ("「{field}」名称含有无法保存的字符", "The name {field} holds a character that cannot be saved"),
    "sync.parked_unknown": ("没有这条暂存的事件：#{seq}", "No parked event #{seq}"),
    "sync.parked_already_retried": ("事件 #{seq} 已重新发送（新编号 #{new_seq}）", "Event #{seq} was already sent again (as #{new_seq})"),
    "sync.parked_unreadable": ("事件 #{seq} 的内容已损坏，无法重新发送，请联系技术支持", "Event #{seq} is damaged and cannot be sent again; call support"),
    "sync.parked": ("总部拒收了 {count} 条格式有误的事件：已暂存在本店，可在冲突（F4）里重新发送", "HQ refused {count} malformed events: kept at the store, send them again from Conflicts (F4)"),
    "sync.epoch_mismatch": ("总部数据版本已变更，需要重新同步", "HQ's data epoch changed: a full resync is needed"),
    # status and summary
    "sync.online": ("已连接总部", "Connected to HQ"),
    "sync.offline": ("总部连不上：{reason}", "HQ unreachable: {reason}"),
    "sync.no_hq": ("没有配置总部地址：在 store-edge.toml 的 [hq] 填写 url 和 token，或用 --hq URL --token T",
                   "No HQ configured: set [hq] url and token in store-edge.toml, or pass --hq URL --token T"),
    "sync.demo_foreign_hq": ("这是演示门店，只和自己内置的演示总部同步，不会连 {url}。真实门店请用 store-edge init 建立",
                             "This is the demo store: it syncs only with its own embedded demo HQ, never with {url}. Create a real store with store-edge init"),
    "sync.token_refused": ("总部不接受本店的令牌（{detail}）：请总部发新令牌（store-edge hq rotate-token），填入 store-edge.toml 的 [hq] token",
                           "HQ refuses this store's token ({detail}): ask HQ for a new one (store-edge hq rotate-token) and put it in [hq] token of store-edge.toml"),
    "sync.push_failed": ("总部暂时收不了本店的事件（{reason}），稍后重试；新订单照常接收", "HQ cannot take this store's events right now ({reason}); retrying later, new orders still arrive"),
    "sync.bad_url": ("总部地址不对：{url}（应以 http:// 或 https:// 开头）", "The HQ address is not valid: {url} (it starts with http:// or https://)"),
    "sync.bad_reply": ("总部的答复无法识别（{detail}），本店数据未改动", "HQ sent a reply that does not parse ({detail}); nothing was changed"),
    "sync.refused": ("总部拒绝了请求（HTTP {status}：{detail}）", "HQ refused the request (HTTP {status}: {detail})"),
    "sync.local_busy": ("本店数据库一直被占用，稍后再同步", "The store database stayed busy; will sync again shortly"),
    "sync.summary": ("已上传 {pushed} 条事件，收到 {pulled} 条总部变更，待上传 {pending} 条，待处理冲突 {conflicts} 条",
                     "Sent {pushed} events, received {pulled} HQ changes, {pending} events waiting, {conflicts} conflicts need attention"),
    "sync.resynced": ("已按总部快照重新同步（{reason}），重传 {repushed} 条事件",
                      "Resynced from an HQ snapshot ({reason}); re-sending {repushed} events"),
    "sync.rejected": ("总部退回了 {count} 条事件（已记录，不再重试）", "HQ rejected {count} events (recorded, not retried)"),
    "sync.skipped": ("有 {count} 条总部变更无法应用（已记录）", "{count} HQ changes could not be applied (recorded)"),
    "sync.status": ("待上传事件 {pending} 条，待处理冲突 {conflicts} 条，待收调拨单 {transfers} 张；总部退回 {rejected} 条，无法应用的总部变更 {skipped} 条",
                    "{pending} events waiting, {conflicts} conflicts need attention, {transfers} transfers to receive; HQ rejected {rejected}, {skipped} HQ changes could not be applied"),
    "sync.last_ok": ("上次成功同步：{at}", "Last successful sync: {at}"),
    "sync.never": ("尚未成功同步", "Not synced yet"),
    "sync.looping": ("后台同步中：总部订单即到即收，出错后每 {interval} 秒起重试；按 Ctrl-C 停止",
                     "Syncing in the background: HQ's orders arrive as placed, retries from every {interval} s; "
                     "press Ctrl-C to stop"),
    "sync.stopped": ("同步已停止", "Sync stopped"),
    "sync.reason.timeout": ("超时未答复", "no answer in time"),
    "sync.reason.unreachable": ("网络不通", "no connection"),
    "sync.reason.unavailable": ("总部暂时不可用", "HQ temporarily unavailable"),
    "sync.reason.error": ("同步出错", "sync error"),
    "sync.help": ("与总部同步（上传本店事件，下载订单和任务）", "sync with HQ (send store events, fetch orders and tasks)"),
}

register(MESSAGES)
