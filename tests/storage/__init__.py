"""Tests of storage/ (and the CopyService that drives it), on SQLite and on PostgreSQL."""
