"""An edition's figures for editors: numbers, bar charts per topic and link, a CSV export."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template

from ..engagement.charts import bar_chart
from ..engagement.stats import edition_stats
from ..engagement.topic_stats import topic_figures
from ..lookup import get_or_404
from ..models import Edition
from ..web.db import db
from . import bp


@bp.get("/editions/<int:edition_id>/figures")
def editions_figures(edition_id: int):  # type: ignore[no-untyped-def]
    session = db()
    edition = get_or_404(session, Edition, edition_id, f"No edition {edition_id}.")
    stats = edition_stats(session, edition_id)
    topics = bar_chart("Human clicks per topic",
                       [(t["slug"], t["clicks"], t["click_rate"]) for t in stats["topics"]])
    links = bar_chart("Human clicks per link",
                      [(x["url"], x["clicks"], x["click_rate"]) for x in stats["links"]])
    return render_template("admin/figures.html", edition=edition, stats=stats,
                           topics_chart=topics, links_chart=links)


@bp.get("/editions/<int:edition_id>/figures.csv")
def editions_figures_csv(edition_id: int):  # type: ignore[no-untyped-def]
    stats = edition_stats(db(), edition_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "name", "clicks", "readers", "click_rate"])
    for key in ("delivered", "clicks_human", "clicks_machine", "unsubscribes",
                "unsubscribes_via_edition", "unsubscribes_estimated", "complaints"):
        writer.writerow(["edition", key, stats[key], "", ""])
    for t in stats["topics"]:
        writer.writerow(["topic", t["slug"], t["clicks"], t["readers"], t["click_rate"]])
    for x in stats["links"]:
        # a leading = + - @ would make a spreadsheet evaluate the cell
        url = "'" + x["url"] if x["url"][:1] in "=+-@" else x["url"]
        writer.writerow(["link", url, x["clicks"], x["readers"], x["click_rate"]])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="edition-{edition_id}-figures.csv"'})


@bp.get("/topics/<slug>/figures")
def topics_figures(slug: str):  # type: ignore[no-untyped-def]
    figures = topic_figures(db(), slug)
    rates = bar_chart("Click rate in its last editions", [
        (f"{e['date']} {e['subject']}", e["readers_clicked"], e["click_rate"])
        for e in figures["editions"]])
    readers = bar_chart("Readers over time", [
        (f"week of {r['week']}", r["readers"], 0.0) for r in figures["readers"]], rate=False)
    return render_template("admin/topic_figures.html", figures=figures, rates_chart=rates,
                           readers_chart=readers)
