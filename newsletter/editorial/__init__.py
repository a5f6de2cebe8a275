"""What editors make: topics, topic updates, editions and their previews."""
