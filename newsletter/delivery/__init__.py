"""Sending editions: the ledger of copies, batches, their jobs and the edition life cycle."""
