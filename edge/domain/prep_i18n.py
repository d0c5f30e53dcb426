"""Words of the prep suggestions (panel, CLI, domain errors), zh-CN and en, and the one
place that says how a figure was reached, so the panel and ``store-edge prep`` agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge.i18n import register, t

if TYPE_CHECKING:
    from edge.domain.prep import Suggestion
    from edge.domain.prep_model import HourPart

MESSAGES: dict[str, tuple[str, str]] = {
    "prep.bad_hours": ("小时数 {hours} 无效（1 到 {most}）", "Hours {hours} out of range (1 to {most})"),
    "prep.no_store": ("本机还不是门店", "This is not a store yet"),
    "prep.nothing_chosen": ("请先选择要备货的商品", "Choose the products to prepare first"),
    "prep.nothing_to_prep": ("{sku} 现在无需备货（没有建议量或已在备货）",
                             "{sku}: nothing to prepare now (no suggestion, or already being prepared)"),
    "prep.unknown_task": ("没有这个备货任务：{task_id}", "No such prep task: {task_id}"),
    "prep.task_closed": ("备货任务 {task_id} 已结束（{state}）", "Prep task {task_id} is closed ({state})"),
    "prep.weekday": ("一二三四五六日", "Mon Tue Wed Thu Fri Sat Sun"),
    "prep.how.weekday": ("近{n}周同时段中位 {v}", "{n}-wk median {v}"),
    "prep.how.blend": ("{n}周与每日同时段混合 {v}", "{n} wk + all-days mix {v}"),
    "prep.how.profile": ("每日同时段均值 {v}", "all-days avg {v}"),
    "prep.how.none": ("无历史 0", "no history 0"),
    "prep.how.level": ("今日水平", "today"),
    "prep.how.trend": ("趋势", "trend"),
    "prep.how.live": ("直播常态 {v}", "live usual {v}"),
    "prep.how.left": ("本小时余 {pct}%", "{pct}% of hour left"),
    "prep.how.stream": ("直播 {rate}单/分 × {minutes}分 × {share}件/单",
                        "stream {rate}/min × {minutes} min × {share}/order"),
    "prep.how.total": ("{hours}小时合计 {demand} − 现有 {on_hand} − 备货中 {preparing} → 建议备货 {prep}",
                       "{hours} h: {demand} − on hand {on_hand} − preparing {preparing} → prep {prep}"),
    "prep.kind.mto": ("现做", "MTO"),
    "prep.kind.fresh": ("生鲜", "fresh"),
    # the panel
    "ui.prep.title": ("备货建议 · 未来 {hours} 小时", "Prep suggestions · next {hours} h"),
    "ui.prep.stream": ("直播进行中：{rate} 单/分（{channel}，{at} 更新）",
                       "Live stream running: {rate} orders/min ({channel}, as of {at})"),
    "ui.prep.no_stream": ("没有进行中的直播（按历史）", "No live stream running (history only)"),
    "ui.prep.col.sku": ("商品", "Product"),
    "ui.prep.col.kind": ("类", "Kind"),
    "ui.prep.col.demand": ("需求", "Need"),
    "ui.prep.col.on_hand": ("现有", "Have"),
    "ui.prep.col.prep": ("备货", "Prep"),
    "ui.prep.empty": ("未来几小时没有可建议的备货", "Nothing to suggest for the next hours"),
    "ui.prep.loading": ("计算中…", "Working it out…"),
    "ui.prep.tasks": ("备货任务 {n}：{items}", "Prep tasks {n}: {items}"),
    "ui.prep.no_tasks": ("暂无备货任务", "No prep tasks"),
    "ui.prep.accepted": ("已建备货任务：{items}", "Prep tasks created: {items}"),
    "ui.prep.finished": ("已完成并入库：{item}", "Done and booked into stock: {item}"),
    "ui.prep.keys": ("Enter 采纳本行  a 全部采纳  d 完成最早的任务  +/- 小时  Esc 返回",
                     "Enter accept row  a accept all  d finish oldest task  +/- hours  Esc back"),
    "ui.prep.key.accept": ("采纳", "accept"),
    "ui.prep.key.accept_all": ("全部采纳", "accept all"),
    "ui.prep.key.finish": ("完成任务", "task done"),
    "ui.prep.key.back": ("返回", "back"),
    "ui.prep.key.more": ("多一小时", "more hours"),
    "ui.prep.key.less": ("少一小时", "fewer hours"),
    "ui.prep.manager_pin": ("采纳备货建议：店长工号和 PIN", "Accept prep suggestions: manager id and PIN"),
    "ui.board.key.prep": ("备货", "prep"),
    # the CLI
    "cli.prep.header": ("备货建议：未来 {hours} 小时（{at} 起）", "Prep suggestions: next {hours} h (from {at})"),
    "cli.prep.accepted": ("已建备货任务 {task_id}：{sku} ×{qty}", "Prep task {task_id}: {sku} x{qty}"),
    "cli.prep.prompt_manager_pin": ("店长 {manager} 的 PIN：", "PIN of manager {manager}:"),
}

register(MESSAGES)


def weekday(lang: str, index: int) -> str:
    names = t("prep.weekday", lang)
    return ("周" + names[index]) if lang == "zh-CN" else names.split()[index]


def _num(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def explain_hour(part: HourPart, lang: str) -> str:
    """One hour of a figure, e.g. ``Tue 18:00 6-wk median 12 ×today 1.10 + stream 3.2/min ×
    38 min × 0.40/order = 17.4``."""
    head = f"{weekday(lang, part.start.weekday())} {part.start:%H:%M} "
    pieces = [t(f"prep.how.{part.method}", lang, n=part.samples, v=_num(part.history))]
    if abs(part.level - 1) >= 0.005:
        pieces.append(f"×{t('prep.how.level', lang)} {part.level:.2f}")
    if abs(part.trend - 1) >= 0.005:
        pieces.append(f"×{t('prep.how.trend', lang)} {part.trend:.2f}")
    text = " ".join(pieces)
    if part.live_history > 0 and not part.stream_rate:
        text += " + " + t("prep.how.live", lang, v=_num(part.live_history))
    if part.fraction < 0.999:
        text += f" × {t('prep.how.left', lang, pct=round(part.fraction * 100))}"
    if part.stream_rate:
        text += " + " + t("prep.how.stream", lang, rate=f"{part.stream_rate:.1f}",
                          minutes=f"{part.stream_minutes:.0f}", share=f"{part.stream_share:.2f}")
    return f"{head}{text} = {_num(part.total)}"


def explain_total(s: Suggestion, lang: str) -> str:
    return t("prep.how.total", lang, hours=len(s.hours), demand=s.demand, on_hand=max(s.on_hand, 0),
             preparing=s.preparing, prep=s.prep)


def explain(s: Suggestion, lang: str) -> list[str]:
    """Every line of how a suggestion was reached: one per hour, then the total."""
    return [explain_hour(part, lang) for part in s.hours] + [explain_total(s, lang)]


def kind(s: Suggestion, lang: str) -> str:
    return t("prep.kind.mto", lang) if s.made_to_order else t("prep.kind.fresh", lang) if s.fresh else ""
