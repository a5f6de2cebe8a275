"""Feed ingestion: polite fetching, robust parsing, safe content, dedupe and story grouping.

Modules, in the order a poll uses them: `ssrf` (which addresses we may reach), `fetch`
(HTTP with timeouts, size cap, conditional requests), `parse` (feedparser on bytes),
`sanitize` (nh3 allow-list), `urls` (canonical URLs for dedupe), `store` (upsert articles),
`grouping` (stories, split and merge), `service` (one poll, recorded on the Feed),
`scheduler` and `jobs` (RQ, per-feed lock, progress). Around them: `catalog` (adding and
listing feeds), `inbox` (articles and stories for editors), `opml` and `settings` (fetch limits).
The package knows nothing of Flask: the `poll-feeds` command lives in newsletter/cli.py.
"""
