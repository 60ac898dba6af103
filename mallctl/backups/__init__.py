"""Backups (数据备份): one file plus a JSON manifest beside it, for SQLite and PostgreSQL.

`files` names, writes (temporary name, then rename; mode 0600), compresses and checksums
backup files; `manifest` is the sealed JSON record beside each; `sqlite` takes snapshots
through SQLite's online backup API and `postgres` through `pg_dump --format=custom`;
`retention` is the pure keep-or-delete rule; `service` runs, lists, verifies, cleans up
and restores. See docs/backups.md.
"""
