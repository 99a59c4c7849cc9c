"""The week's report as one PNG picture to post in the office's chat group: people helped per
village this week beside the week before, and the commune's five-step funnel down to the requests
sent, readable on a phone without opening a file.

Drawn on a `Figure` with its own Agg canvas (no pyplot, no global state: reports are made on
reader threads). Every text is set in the DejaVu Sans that ships inside matplotlib, which has the
Vietnamese letters, whatever fonts the server has. A commune's villages are all shown (the image
grows with them); a province's roll-up would be too long to read, so it shows the villages that
need volunteers first.
"""

import io
from collections import Counter

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator

from bot.reports.counts import HEADINGS
from bot.reports.report import Report, Row
from flows.places import OTHER_SUFFIX

FONT = "DejaVu Sans"
DPI = 125
#: Inches: 1600 pixels at `DPI`.
WIDTH = 12.8
#: Inches per village, for two bars and a name in `LABEL_SIZE`.
VILLAGE_HEIGHT = 0.5
#: Inches for the titles, the legend and the axis of the villages' panel, and for the funnel.
CHROME_HEIGHT = 2.2
FUNNEL_HEIGHT = 4.4
#: Up to this many villages (a large commune's) are all shown; beyond that (a province's roll-up)
#: only the `WEAKEST` by people helped this week, the ones to send volunteers to first.
ALL_UP_TO = 60
WEAKEST = 40
TITLE_SIZE, PANEL_SIZE, LABEL_SIZE, VALUE_SIZE = 24, 20, 16, 14
THIS_WEEK, LAST_WEEK, SUBMITTED = "#1565c0", "#b0bec5", "#2e7d32"
FUNNEL = (*(f"step_{n}" for n in range(1, 6)), "submitted")
BAR = 0.4
#: Inches around the panels, so that the longest name does not touch the edge.
PAD = 0.15
#: The longest name drawn (about 600 pixels in `LABEL_SIZE`).
LABEL_CHARS = 40


def as_png(report: Report) -> bytes:
    out = io.BytesIO()
    FigureCanvasAgg(figure(report)).print_png(out)
    return out.getvalue()


def figure(report: Report) -> Figure:
    """The picture before it is encoded, so that what it shows can be read back."""
    villages, heading = shown_villages(report)
    week = report.week
    top_height = CHROME_HEIGHT + VILLAGE_HEIGHT * max(len(villages), 1)
    fig = Figure(
        figsize=(WIDTH, top_height + FUNNEL_HEIGHT),
        dpi=DPI,
        layout=ConstrainedLayoutEngine(w_pad=PAD, h_pad=PAD),
    )
    fig.suptitle(
        f"Báo cáo tuần {week.name} ({week.start:%d/%m} - {week.end:%d/%m/%Y})",
        fontfamily=FONT,
        fontsize=TITLE_SIZE,
        fontweight="bold",
    )
    top, bottom = fig.subplots(2, 1, height_ratios=[top_height, FUNNEL_HEIGHT])
    _villages(top, villages, heading, report)
    _funnel(bottom, report)
    return fig


def shown_villages(report: Report) -> tuple[list[Row], str]:
    """The villages drawn (the "no village" and "Khác / không rõ" rows are no place to visit)
    and the panel's title, which says when only the weakest are shown."""
    villages = [row for row in report.villages if row.code and not row.code.endswith(OTHER_SUFFIX)]
    if len(villages) <= ALL_UP_TO:
        return villages, "Người được hỗ trợ theo thôn"
    weakest = sorted(villages, key=lambda r: (r.week["people"], r.name))[:WEAKEST]
    return weakest, f"{WEAKEST} thôn ít người nhất tuần này (trong {_n(len(villages))} thôn)"


def _villages(ax: Axes, villages: list[Row], heading: str, report: Report) -> None:
    ax.set_title(heading, loc="left", fontfamily=FONT, fontsize=PANEL_SIZE, fontweight="bold", pad=48)
    if not villages:
        ax.axis("off")
        ax.text(0.5, 0.5, "Chưa có thôn nào", ha="center", fontfamily=FONT, fontsize=LABEL_SIZE)
        return
    places = range(len(villages))
    week = [row.week["people"] for row in villages]
    last = [row.last["people"] for row in villages]
    this_bars = ax.barh([y - BAR / 2 for y in places], week, BAR, color=THIS_WEEK, label="Tuần này")
    last_bars = ax.barh([y + BAR / 2 for y in places], last, BAR, color=LAST_WEEK, label="Tuần trước")
    for bars, values in ((this_bars, week), (last_bars, last)):
        ax.bar_label(bars, labels=[_n(v) for v in values], padding=4, fontfamily=FONT, fontsize=VALUE_SIZE)
    ax.set_yticks(list(places), _labels(villages, several_communes=bool(report.communes)))
    ax.set_ylim(len(villages) - 0.5, -0.5)
    ax.set_xlim(0, max(*week, *last, 1) * 1.15)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1),
        ncols=2,
        frameon=False,
        prop={"family": FONT, "size": LABEL_SIZE},
    )
    _style(ax)


def _funnel(ax: Axes, report: Report) -> None:
    """The five steps and the requests sent, each with its share of those who reached step 1."""
    counts = [report.total.week[key] for key in FUNNEL]
    ax.set_title(
        f"Các bước tuần này ({report.total.name})",
        loc="left",
        fontfamily=FONT,
        fontsize=PANEL_SIZE,
        fontweight="bold",
    )
    colours = [THIS_WEEK] * (len(FUNNEL) - 1) + [SUBMITTED]
    bars = ax.barh(range(len(FUNNEL)), counts, 0.7, color=colours)
    first = counts[0]
    labels = [_n(n) + (f" ({round(100 * n / first)}%)" if first and i else "") for i, n in enumerate(counts)]
    ax.bar_label(bars, labels=labels, padding=4, fontfamily=FONT, fontsize=VALUE_SIZE)
    ax.set_yticks(range(len(FUNNEL)), [HEADINGS[key] for key in FUNNEL])
    ax.set_ylim(len(FUNNEL) - 0.5, -0.5)
    ax.set_xlim(0, max(*counts, 1) * 1.25)
    _style(ax)


def _labels(villages: list[Row], several_communes: bool) -> list[str]:
    """The villages' names; a name found twice (a "Thôn 1" in two areas) says where it is, and a
    name too long to leave room for the bars is cut."""
    names = Counter(row.name for row in villages)

    def label(row: Row) -> str:
        where = [row.area, row.commune] if several_communes else [row.area]
        text = row.name if names[row.name] == 1 else f"{row.name} ({', '.join(p for p in where if p)})"
        return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"

    return [label(row) for row in villages]


def _style(ax: Axes) -> None:
    ax.tick_params(labelsize=LABEL_SIZE, labelfontfamily=FONT)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(lambda value, _: _n(int(value)))
    ax.grid(axis="x", color="#e0e0e0")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def _n(number: int) -> str:
    """A count as Vietnamese write it: 1.000 for a thousand."""
    return f"{number:,}".replace(",", ".")
