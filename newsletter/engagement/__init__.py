"""What happened after sending: tracked links (clicks) and the figures built from them."""
