"""An edition's engagement figures over JSON (the same ones the editors see)."""

from __future__ import annotations

from flask import jsonify

from ..engagement.stats import edition_stats
from ..web.db import db
from . import bp


@bp.get("/editions/<int:edition_id>/stats")
def edition_stats_view(edition_id: int):  # type: ignore[no-untyped-def]
    return jsonify(edition_stats(db(), edition_id))
