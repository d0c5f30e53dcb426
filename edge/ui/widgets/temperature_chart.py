"""A fridge's temperature record as a line chart in the terminal (plotext via textual-plotext):
the readings, the limit drawn as a line, and every slot beyond the limit marked.

``chart_data`` squeezes the record into time slots (a day of 5-second readings is 17,000
points; the chart is 60-odd columns): each slot keeps its warmest and coldest reading, the
line follows the warmest (an excursion is never averaged away) and a slot beyond a limit is
marked at the reading that broke it. The chart is drawn from that plain data, so a test can
check what is on it without reading terminal cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from textual_plotext import PlotextPlot

from edge.clock import parse_iso
from edge.domain.temperatures import TemperatureRecord
from edge.i18n import register, t

SLOTS = 240  # 6-minute slots over 24 h
TICK_HOURS = 6

register({
    "ui.chart.legend": ("红线 上限 {limit}°C · × 超温", "red line: limit {limit}°C · × beyond it"),
    "ui.chart.no_readings": ("没有读数", "no readings"),
})


@dataclass(frozen=True)
class ChartData:
    xs: list[float] = field(default_factory=list)  # hours since the record's start
    ys: list[float] = field(default_factory=list)  # the warmest reading of each slot
    max_c: float | None = None
    min_c: float | None = None
    marks_x: list[float] = field(default_factory=list)  # slots beyond a limit
    marks_y: list[float] = field(default_factory=list)
    ticks: list[float] = field(default_factory=list)
    tick_labels: list[str] = field(default_factory=list)
    hours: float = 24.0


def chart_data(record: TemperatureRecord, tz: ZoneInfo, slots: int = SLOTS) -> ChartData:
    """The record as slot maxima, limit lines and excursion marks (see the module doc)."""
    period_ms = (record.end - record.start) // timedelta(milliseconds=1)
    hours = period_ms / 3_600_000
    span = hours / slots
    warmest: dict[int, float] = {}
    coldest: dict[int, float] = {}
    for at, celsius in record.readings:
        # whole milliseconds: a reading on a slot's first instant is in that slot, not the last
        offset_ms = (parse_iso(at) - record.start) // timedelta(milliseconds=1)
        i = min(slots - 1, max(0, offset_ms * slots // period_ms))
        warmest[i] = max(celsius, warmest.get(i, celsius))
        coldest[i] = min(celsius, coldest.get(i, celsius))
    fridge = record.fridge
    xs = [(i + 0.5) * span for i in sorted(warmest)]
    ys = [warmest[i] for i in sorted(warmest)]
    marks_x, marks_y = [], []
    for i in sorted(warmest):
        if warmest[i] > fridge.max_c:
            marks_x.append((i + 0.5) * span)
            marks_y.append(warmest[i])
        elif fridge.min_c is not None and coldest[i] < fridge.min_c:
            marks_x.append((i + 0.5) * span)
            marks_y.append(coldest[i])
    ticks = [float(h) for h in range(0, int(hours) + 1, TICK_HOURS)]
    labels = [(record.start + timedelta(hours=h)).astimezone(tz).strftime("%H:%M") for h in ticks]
    return ChartData(xs, ys, fridge.max_c, fridge.min_c, marks_x, marks_y, ticks, labels, hours)


class TemperatureChart(PlotextPlot):
    """Shows one ``ChartData``; ``data`` is what is drawn."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data = ChartData()

    def show(self, data: ChartData, lang: str) -> None:
        self.data = data
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlim(0, data.hours)
        if data.ticks:
            plt.xticks(data.ticks, data.tick_labels)
        if not data.ys:
            plt.xlabel(t("ui.chart.no_readings", lang))
            self.refresh()
            return
        limits = [c for c in (data.max_c, data.min_c) if c is not None]
        low, high = min(data.ys + limits) - 1, max(data.ys + limits) + 1
        plt.ylim(low, high)
        # the limits are labelled on the axis, where the eye meets the red line
        plt.yticks(sorted({round(low), *limits, round(high)}))
        plt.plot(data.xs, data.ys, marker="braille", color="cyan")
        if data.max_c is not None:
            plt.hline(data.max_c, color="red")
        if data.min_c is not None:
            plt.hline(data.min_c, color="blue")
        if data.marks_x:
            plt.scatter(data.marks_x, data.marks_y, marker="×", color="red")
        plt.xlabel(t("ui.chart.legend", lang, limit=f"{data.max_c:g}"))
        self.refresh()
