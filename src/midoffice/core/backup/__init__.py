"""Backup and restore of one Midoffice instance: database and stored files in one archive.

``archive.backup_create`` writes the archive (``midoffice backup``), ``archive.restore_run``
checks it and fills an empty database and storage (``midoffice restore``). ADR 21c says why
it is built this way.
"""
