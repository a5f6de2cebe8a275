"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ..webhooks import signing
from ..webhooks.events import EVENTS
from . import bp

_ERR = {"description": "Bad input", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _admin(op: dict[str, Any]) -> dict[str, Any]:
    """An operation only an admin's token may call: anyone else's gets 403."""
    op["responses"]["403"] = _ERR
    return op


def _op(summary: str, ok: str, body: str | None = None, status: str = "200",
        response: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {status: {"description": ok}, "400": _ERR, "401": _ERR, "404": _ERR,
                      "409": _ERR, "422": _ERR},
    }
    if response:
        op["responses"][status]["content"] = {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{response}"}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{body}"}}}}
    return op


def _slug_param() -> list[dict[str, Any]]:
    return [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}]


def _id_param(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}]


WEBHOOK_CALLS = (
    "Each event is sent as `POST <url>` with the JSON body `{\"event\", \"occurred_at\", "
    "\"data\"}` (schema WebhookCall) and the headers "
    f"`{signing.TIMESTAMP_HEADER}` (Unix seconds when this attempt was made), "
    f"`{signing.SIGNATURE_HEADER}: sha256=<hex>` (HMAC-SHA256 with the endpoint's secret over "
    "the timestamp, a dot and the raw body: `timestamp + \".\" + body`) and "
    f"`{signing.CALL_ID_HEADER}` (the same id on every retry of one call). Verify the "
    "signature with a constant-time comparison and refuse timestamps more than "
    f"{signing.REPLAY_WINDOW_SECONDS} seconds from your clock (the replay window). Any 2xx "
    "answer within 10 seconds counts as delivered; anything else is retried with growing "
    "delays (30 s up to 4 h) for a day. Delivery is at least once: deduplicate on "
    f"`{signing.CALL_ID_HEADER}`. Redirects are not followed."
)


def document() -> dict[str, Any]:
    edition_actions = {
        f"/editions/{{edition_id}}/{action}": {
            "parameters": _id_param("edition_id"),
            "post": _op(f"{action.title()} an edition", "New status", response="EditionStatus"),
        }
        for action in ("pause", "resume", "cancel")
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Newsletter API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/topics": {
                "get": _op("List topics", "Topics", response="TopicList"),
                "post": _op("Create a topic", "Created", "Topic", "201", "Topic"),
            },
            "/topics/{slug}/updates": {
                "parameters": _slug_param(),
                "post": _op("Write a topic update", "Created", "TopicUpdate", "201", "Id"),
            },
            "/editions": {"post": _op("Schedule an edition", "Created", "Edition", "201", "Id")},
            "/editions/{edition_id}": {
                "parameters": _id_param("edition_id"),
                "get": _op("Edition status", "Status", response="EditionStatus"),
            },
            **edition_actions,
            "/topics/{slug}/feeds": {
                "parameters": _slug_param(),
                "post": _op("Add a feed to a topic", "Created", "Feed", "201", "Id"),
            },
            "/feeds/{feed_id}/poll": {
                "parameters": _id_param("feed_id"),
                "post": _op("Poll a feed now (synchronously)", "Outcome", response="PollResult"),
            },
            "/topics/{slug}/articles": {
                "parameters": _slug_param(),
                "get": _op("Recent articles of a topic", "Articles", response="FeedArticleList"),
            },
            "/bounces": {"post": {
                **_op("Take in a returned message (raw, Content-Type: message/rfc822)",
                      "Stored and classified (200 when it was already stored)", status="201",
                      response="BounceResult"),
                "requestBody": {"required": True, "content": {
                    "message/rfc822": {"schema": {"type": "string", "format": "binary"}}}},
            }},
            "/editions/{edition_id}/stats": {
                "parameters": _id_param("edition_id"),
                "get": _op("Engagement figures of an edition (clicks by people and by "
                           "machines apart; per topic and per link: people only)", "Figures",
                           response="EditionStats"),
            },
            "/webhooks": {
                "get": _admin(_op("Webhook endpoints with their last call (admins only)",
                                  "Endpoints", response="WebhookList")),
                "post": _admin({**_op("Register a webhook endpoint (admins only)", "Created",
                                      "Webhook", "201", "Id"), "description": WEBHOOK_CALLS}),
            },
            "/webhooks/{endpoint_id}": {
                "parameters": _id_param("endpoint_id"),
                "delete": _admin(_op("Remove a webhook endpoint and its pending calls "
                                     "(admins only)", "Removed", status="204")),
            },
            "/topics/{slug}/stories": {
                "parameters": _slug_param(),
                "get": _op("Story groups of a topic", "Stories", response="StoryList"),
            },
        },
        "webhooks": {"event": {"post": {
            "summary": "A call to a registered endpoint", "description": WEBHOOK_CALLS,
            "parameters": [
                {"name": signing.TIMESTAMP_HEADER, "in": "header", "required": True,
                 "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                {"name": signing.SIGNATURE_HEADER, "in": "header", "required": True,
                 "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"}},
                {"name": signing.CALL_ID_HEADER, "in": "header", "required": True,
                 "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/WebhookCall"}}}},
            "responses": {"2XX": {"description": "Delivered; anything else is retried"}},
        }}},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}}},
                "Id": {"type": "object", "properties": {"id": {"type": "integer"}}},
                "Topic": {"type": "object", "required": ["slug", "name"], "properties": {
                    "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
                             "maxLength": 64},
                    "name": {"type": "string", "maxLength": 120},
                    "description": {"type": "string", "maxLength": 500},
                    "public": {"type": "boolean", "default": True,
                               "description": "has a page, feed and home-page place on the public site"}}},
                "TopicList": {"type": "array", "items": {"$ref": "#/components/schemas/Topic"}},
                "Article": {"type": "object", "required": ["url", "title"], "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "title": {"type": "string"}, "outlet": {"type": "string"},
                    "image_url": {"type": ["string", "null"], "format": "uri"},
                    "reading_minutes": {"type": "integer", "minimum": 1}}},
                "TopicUpdate": {"type": "object", "required": ["headline"], "properties": {
                    "headline": {"type": "string", "maxLength": 300},
                    "lede": {"type": "string"},
                    "bullets": {"type": "array", "items": {"type": "string"}},
                    "background": {"type": "array", "items": {"type": "string"}},
                    "articles": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/Article"}},
                    "featured": {"type": ["integer", "null"]},
                    "article_count": {"type": ["integer", "null"]},
                    "status": {"enum": ["draft", "published"]}}},
                "Edition": {"type": "object", "required": ["update_ids"], "properties": {
                    "subject": {"type": ["string", "null"], "description":
                                "a fixed subject for every copy; null or absent: each copy's "
                                "subject is that reader's first headline + N more"},
                    "update_ids": {"type": "array", "items": {"type": "integer"}},
                    "send_at": {"type": ["string", "null"], "format": "date-time",
                                "description": "null or absent: now. With delivery 'local' "
                                "only its date counts (in `timezone`); a plain date works"},
                    "timezone": {"type": "string", "description": "IANA zone of send_at"},
                    "delivery": {"enum": ["at_time", "local"], "description":
                                 "at_time (default): everyone at send_at; local: each reader "
                                 "when their own clock shows local_time on send_at's date"},
                    "local_time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$",
                                   "description": "HH:MM, required with delivery 'local'"},
                    "late_readers": {"enum": ["send_now", "skip"], "description":
                                     "delivery 'local': readers whose local_time has passed "
                                     "when the edition is created get it at once (send_now, "
                                     "the default) or are skipped"}}},
                "Feed": {"type": "object", "required": ["url"], "properties": {
                    "url": {"type": "string", "format": "uri", "maxLength": 2000},
                    "poll_minutes": {"type": "integer", "minimum": 1, "maximum": 10080}}},
                "PollResult": {"type": "object", "properties": {
                    "status": {"enum": ["ok", "not_modified", "error", "gone", "disabled"]},
                    "new": {"type": "integer"}, "updated": {"type": "integer"},
                    "error": {"type": ["string", "null"]}}},
                "FeedArticleList": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "url": {"type": "string", "format": "uri"},
                    "title": {"type": "string"}, "outlet": {"type": "string"},
                    "summary": {"type": "string", "description": "sanitized HTML"},
                    "published_at": {"type": "string", "format": "date-time"},
                    "reading_minutes": {"type": "integer"},
                    "story_id": {"type": ["integer", "null"]}}}},
                "StoryList": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "headline": {"type": "string"},
                    "article_count": {"type": "integer"},
                    "outlets": {"type": "array", "items": {"type": "string"}}}}},
                "EditionStatus": {"type": "object", "properties": {
                    "id": {"type": "integer"},
                    "status": {"enum": ["scheduled", "sending", "paused", "sent", "cancelled"]},
                    "total": {"type": "integer"}, "sent": {"type": "integer"},
                    "failed": {"type": "integer"}, "pending": {"type": "integer"},
                    "skipped": {"type": "integer", "description":
                                "local delivery: late readers skipped (not in total)"},
                    "bounced": {"type": "integer"}, "complained": {"type": "integer"},
                    "bounce_rate": {"type": "number"}, "complaint_rate": {"type": "number"}}},
                "EditionStats": {"type": "object", "properties": {
                    **{k: {"type": "integer"} for k in (
                        "id", "delivered", "opens_human", "opens_machine", "clicks_human",
                        "clicks_machine", "unsubscribes", "complaints")},
                    "unsubscribes_via_edition": {"type": "integer", "description":
                                                 "left through this edition's unsubscribe "
                                                 "link or List-Unsubscribe header (exact)"},
                    "unsubscribes_estimated": {"type": "integer", "description":
                                               "readers of it who left another way within 7 "
                                               "days of their copy"},
                    "topics": {"type": "array", "items": {"type": "object", "properties": {
                        "slug": {"type": "string"}, "clicks": {"type": "integer"},
                        "readers": {"type": "integer"}, "click_rate": {"type": "number"}}}},
                    "links": {"type": "array", "items": {"type": "object", "properties": {
                        "url": {"type": "string"}, "clicks": {"type": "integer"},
                        "readers": {"type": "integer"}, "click_rate": {"type": "number"}}}}}},
                "Webhook": {"type": "object", "required": ["url", "events", "secret"],
                            "properties": {
                    "url": {"type": "string", "format": "uri", "maxLength": 2000,
                            "description": "http(s) on a public address (private, loopback "
                                           "and link-local addresses are refused)"},
                    "events": {"type": "array", "minItems": 1, "items": {"enum": list(EVENTS)}},
                    "secret": {"type": "string", "minLength": 16, "maxLength": 200,
                               "description": "the HMAC key of X-Newsletter-Signature"}}},
                "WebhookList": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "url": {"type": "string"},
                    "events": {"type": "array", "items": {"type": "string"}},
                    "disabled": {"type": "boolean", "description":
                                 "every call failed for a day; an admin enables it again at "
                                 "/admin/webhooks"},
                    "disabled_reason": {"type": ["string", "null"]},
                    "last_call": {"type": ["object", "null"]}}}},
                "WebhookCall": {
                    "type": "object", "required": ["event", "occurred_at", "data"],
                    "description": "the JSON body of every call (see POST /webhooks)",
                    "properties": {"event": {"enum": list(EVENTS)},
                                   "occurred_at": {"type": "string", "format": "date-time"},
                                   "data": {"type": "object"}}},
                "BounceResult": {"type": "object", "properties": {
                    "kind": {"enum": ["bounce", "complaint", "auto-reply", "delivered", "other"]},
                    "recipients": {"type": "array", "items": {"type": "object", "properties": {
                        "address": {"type": "string"}, "status": {"type": "string"},
                        "hard": {"type": "boolean"}, "reason": {"type": "string"}}}},
                    "matched": {"type": "boolean"}, "duplicate": {"type": "boolean"},
                    "outcome": {"type": "string"}}},
            },
        },
    }


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(document())
