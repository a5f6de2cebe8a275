"""Keep the garbage collector off the long-lived heap of a server process.

A web or worker process holds ~160,000 objects once the app is built (modules, templates,
SQLAlchemy metadata, the zone list). CPython's cycle collector walks all of them in every
full collection, and while it walks, every thread of the process stops: measured on this
2-core machine, one full collection took 300–420 ms idle and up to 800 ms during a sign-up
burst, long enough to put every request in flight in that process past its p99. Those
objects live as long as the process, so they are moved out of the collector's sight once,
after start-up (`gc.freeze`, the approach CPython documents for pre-fork servers); request
garbage is still collected as before.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect what start-up left behind, then freeze the rest; returns the frozen count."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
