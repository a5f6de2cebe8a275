"""Mail as bytes and the one way out: rendering, MIME, DKIM, rate limit, transports, postman."""
