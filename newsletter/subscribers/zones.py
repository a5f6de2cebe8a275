"""Time zones as readers name and pick them: one canonical IANA name per place, and the
list of places for the zone picker on the sign-up and preferences pages.

Browsers do not agree on names: Chromium answers `Asia/Calcutta` where Firefox answers
`Asia/Kolkata` (ICU keeps the old names). Both are valid, so a reader's zone is stored
under its current name (tzdata's links), and the picker lists each place once.
Validity itself is reader_time.valid_zone's call; this module only names and lists.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path

from markupsafe import Markup, escape

from .reader_time import known_zones, valid_zone

MAX_NAME = 64  # subscriber.timezone is a String(64)
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")


def _tzdata_file(name: str) -> Iterator[str]:
    """Lines of a tzdata text file, from the system zoneinfo or the tzdata package (the
    same places zoneinfo itself looks, in the same order); nothing when neither has it."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / name
        if path.is_file():
            yield from path.read_text(encoding="utf-8").splitlines()
            return
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return
    yield from text.splitlines()


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Old or alternative name → the name tzdata links it to (Asia/Calcutta → Asia/Kolkata)."""
    links = {}
    for line in _tzdata_file("tzdata.zi"):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


@lru_cache(maxsize=1)
def picker_zones() -> tuple[str, ...]:
    """Every place of zone.tab (one or more per country, Europe/Amsterdam included even
    where tzdata links it to Brussels), sorted; the known geographic zones when the
    table is missing."""
    known = known_zones()
    names = {parts[2] for line in _tzdata_file("zone.tab")
             if not line.startswith("#") and len(parts := line.split("\t")) >= 3}
    if not names:
        names = {z for z in known if z.split("/", 1)[0] in REGIONS and z not in _links()}
    return tuple(sorted(n for n in names if n in known))


@lru_cache(maxsize=1)
def _listed() -> frozenset[str]:
    """The picker's zones as a set: built once, not on every sign-up (it showed in profiles)."""
    return frozenset(picker_zones())


def canonical(name: str | None) -> str | None:
    """The zone's name as the picker lists it, or None when `name` is no known zone.

    A name the picker lists stays as it is; an alias becomes what it links to when that is
    listed (Asia/Calcutta → Asia/Kolkata); any other valid name (Etc/GMT+5) is kept.
    """
    if name is None or len(name) > MAX_NAME * 2:
        return None
    zone = valid_zone(name)
    if zone is None:
        return None
    listed = _listed()
    if zone in listed:
        return zone
    target = _links().get(zone)
    if target in listed:
        return target
    return zone if len(zone) <= MAX_NAME else None


def label(zone: str) -> str:
    """'America/Argentina/Buenos_Aires' → 'Argentina / Buenos Aires' (within its group)."""
    place = zone.split("/", 1)[1] if "/" in zone else zone
    return place.replace("_", " ").replace("/", " / ")


@lru_cache(maxsize=1)
def groups() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(region, ((zone, label), …)) for the picker's <optgroup>s, regions and places sorted."""
    by_region: dict[str, list[tuple[str, str]]] = {}
    for zone in picker_zones():
        region = zone.split("/", 1)[0]
        by_region.setdefault(region, []).append((zone, label(zone)))
    return tuple((region, tuple(sorted(places, key=lambda p: p[1])))
                 for region, places in sorted(by_region.items()))


@lru_cache(maxsize=128)
def options_html(selected: str | None = None) -> Markup:
    """The picker's <optgroup>s, built once per selected zone: some 420 options would cost a
    template loop on every sign-up page otherwise. A selected zone the picker does not list
    (Etc/GMT+5, UTC) gets an option of its own first, so saving the page keeps it; a
    selected value that is no zone at all (a form shown again after an error) gets none."""
    parts = []
    listed = set(picker_zones())
    if selected and selected not in listed and valid_zone(selected):
        parts.append(f'<option value="{escape(selected)}" selected>{escape(selected)}</option>')
    for region, places in groups():
        parts.append(f'<optgroup label="{escape(region)}">')
        parts += [f'<option value="{escape(zone)}"{" selected" if zone == selected else ""}>'
                  f"{escape(name)}</option>" for zone, name in places]
        parts.append("</optgroup>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped
