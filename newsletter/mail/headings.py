"""What each copy of an edition says about itself: subject, top heading and inbox preheader.

A reader gets only the topics they follow, so these lines are built from the items their
copy holds: their own first headline, "+ N more" with their own N, their own topic names.
An editor may fix the subject for everyone; the preheader still describes the copy.
Built once per distinct topic combination (the caller caches by mask), never rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBJECT_MAX = 300
PREHEADER_MAX = 150


@dataclass(frozen=True)
class CopyLines:
    subject: str
    preheader: str


def auto_subject(headlines: list[str]) -> str:
    """'First headline + N more' (the first in editorial order); '' for no headline."""
    if not headlines:
        return ""
    subject = headlines[0]
    if len(headlines) > 1:
        subject += f" + {len(headlines) - 1} more"
    return shorten(subject, SUBJECT_MAX)


def join_names(names: list[str]) -> str:
    """'Climate', 'Climate and Markets', 'Climate, Markets and Tech'."""
    unique = list(dict.fromkeys(n for n in names if n))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ;,:.")
    return cut + "…"


def briefing_subject(kind: str, topic_names: list[str], list_name: str) -> str:
    """A digest or welcome copy's subject: the reader's own topics, named.

    "Your briefing: Climate and Markets" (a digest), "Welcome: the latest on Climate and
    Markets" (right after confirming); just the list's name when no topic is named.
    """
    names = join_names(topic_names)
    if not names:
        return list_name
    if kind == "welcome":
        return shorten(f"Welcome: the latest on {names}", SUBJECT_MAX)
    return shorten(f"Your briefing: {names}", SUBJECT_MAX)


def copy_lines(*, fixed_subject: str | None, headlines: list[str], topic_names: list[str],
               ledes: list[str], list_name: str, kind: str = "edition") -> CopyLines:
    """The subject (also the top heading) and the preheader of one copy.

    The preheader follows the subject in the inbox, so it adds what the subject does not
    say: the copy's topics, then its other headlines (or the first lede when there is one
    item), e.g. "Your Climate and Markets briefing from The Briefing: Stocks slide".
    """
    if kind != "edition" and not fixed_subject:
        subject = briefing_subject(kind, topic_names, list_name)
    else:
        subject = fixed_subject or auto_subject(headlines) or list_name
    names = join_names(topic_names)
    lead = f"Your {names} briefing from {list_name}" if names else f"Your briefing from {list_name}"
    # a briefing's subject names topics, not a headline: the preheader lists them all
    rest = headlines if fixed_subject or kind != "edition" else headlines[1:]
    detail = "; ".join(rest) if rest else (ledes[0] if ledes else "")
    preheader = f"{lead}: {detail}" if detail else f"{lead}."
    return CopyLines(subject, shorten(preheader, PREHEADER_MAX))
