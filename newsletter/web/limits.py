"""Per-visitor limits on the public forms, checked and counted in one Redis round trip.

Flask-Limiter spends a round trip per limit and another for the remaining-count headers
(which the public pages strip anyway): five with the sign-up form's three limits and the
stream append. Here one Lua script checks every moving window of a request and, only when
all have room, records the request in each, atomically, so two web processes never both
take the last slot. A refused request counts against none of its windows.

Limits are written as Flask-Limiter writes them ("10 per minute;100 per hour"), so the
configuration (`SUBSCRIBE_LIMIT_IP`, `SUBSCRIBE_LIMIT_EMAIL`) keeps its meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request
from limits import parse_many
from redis import Redis

from .. import keys
from .errors import error_response

# KEYS: one list of timestamps (ms, newest first) per window; ARGV: amount, window ms, …
# for each window, then optional follow-up commands, each as its word count and its words.
# Returns {0, reply, …} when recorded and the follow-ups ran (a nil reply comes back as 0),
# else {the ms until the fullest refusing window frees a slot}.
SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end  -- TIME before writes (< 7)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local amount, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local oldest = redis.call('LINDEX', key, amount - 1)
  if oldest and now - tonumber(oldest) < window then
    wait = math.max(wait, window - (now - tonumber(oldest)))
  end
end
if wait > 0 then return {wait} end
for i, key in ipairs(KEYS) do
  local amount, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('LPUSH', key, now)
  redis.call('LTRIM', key, 0, amount - 1)
  redis.call('PEXPIRE', key, window)
end
local out, at = {0}, 2 * #KEYS + 1
while at <= #ARGV do
  local words = tonumber(ARGV[at])
  local reply = redis.call(unpack(ARGV, at + 1, at + words))
  out[#out + 1] = reply or 0
  at = at + words + 1
end
return out
"""

Command = tuple[str | int, ...]


@dataclass(frozen=True)
class Window:
    amount: int
    seconds: int


@functools.lru_cache(maxsize=64)
def windows(text: str) -> tuple[Window, ...]:
    """ "10 per minute;100 per hour" as windows (parsed once per distinct setting)."""
    return tuple(Window(item.amount, item.get_expiry()) for item in parse_many(text))


class Limiter:
    """The limits' script, loaded once per Redis client (EVALSHA afterwards)."""

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(SCRIPT)

    def hit(self, rules: list[tuple[str, str]], then: list[Command] | None = None
            ) -> tuple[float, list[Any]]:
        """Record one request in every (bucket, limit text) rule if all have room, then run
        the commands `then` in the same round trip: (0.0, their replies). Otherwise record
        and run nothing: (the seconds until a slot frees, [])."""
        names: list[str] = []
        args: list[str | int] = []
        for bucket, text in rules:
            for window in windows(text):
                names.append(keys.rate_limit(bucket, window.amount, window.seconds))
                args += [window.amount, window.seconds * 1000]
        for command in then or []:
            args += [len(command), *command]
        if not names and not then:
            return 0.0, []
        reply = self._script(keys=names, args=args)
        if reply[0]:
            return int(reply[0]) / 1000, []
        return 0.0, list(reply[1:])


def limiter() -> Limiter:
    app = current_app
    found = app.extensions.get("public_limits")
    if found is None:
        found = app.extensions["public_limits"] = Limiter(app.extensions["newsletter"].redis)
    return found


def visitor_ip() -> str:
    """The client's address (ProxyFix has put the trusted X-Forwarded-For hop here)."""
    return request.remote_addr or "127.0.0.1"


def refuse_over_limit(rules: list[tuple[str, str]]) -> Response | None:
    """Count this request against every rule, or the 429 page (with Retry-After) when any
    is spent. Rules are (bucket, config key): the bucket names who is counted ("…-ip:…",
    a hash of the address), the config key holds the limit text."""
    return refuse_over_limit_then(rules, [])[0]


def refuse_over_limit_then(rules: list[tuple[str, str]], then: list[Command]
                           ) -> tuple[Response | None, list[Any]]:
    """`refuse_over_limit`, and when the request is let through the Redis commands `then`
    run in the same round trip (their replies are returned; none on a 429)."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        rules = []
    wait, replies = limiter().hit([(bucket, config[name]) for bucket, name in rules], then)
    if not wait:
        return None, replies
    return too_many(wait), []


def too_many(wait: float) -> Response:
    """The 429 page, with Retry-After in whole seconds."""
    body, status = error_response(429, TOO_MANY, "Too Many Requests")
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(max(1, round(wait + 0.5)))
    return response


def limit_posts(rules: Callable[[], list[tuple[str, str]]]) -> Callable[..., Any]:
    """refuse_over_limit(rules()) before the view, for POST requests."""
    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST":
                refused = refuse_over_limit(rules())
                if refused is not None:
                    return refused
            return view(*args, **kwargs)
        return limited
    return wrap


# Blueprints without a Flask-Limiter limit: its per-request bookkeeping (resolving the
# view's limits and exemptions, on every request even when there are none) is skipped for
# them. The public forms count here instead; the editors' login keeps Flask-Limiter.
UNLIMITED_BY_FLASK_LIMITER = frozenset({"public", "site", "engagement"})


def init_app(app: Flask) -> None:
    """Call after Flask-Limiter's init_app: its before_request hook is wrapped."""
    from ..extensions import limiter as flask_limiter

    hooks = app.before_request_funcs[None]
    check = hooks[hooks.index(flask_limiter._check_request_limit)]

    def check_unless_unlimited() -> None:
        if request.blueprint not in UNLIMITED_BY_FLASK_LIMITER:
            check()

    hooks[hooks.index(check)] = check_unless_unlimited


TOO_MANY = "Too many requests. Please wait a little and try again."
