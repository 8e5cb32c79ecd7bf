"""Where stored files live: local disk or an S3-compatible object store (ADR 21e).

Every stored file (raw mails, attachments, letters, portal uploads, archive packages,
destruction reports) goes through Django's ``default_storage``; this module only builds
that storage's settings, so ``settings.py`` and the tests configure S3 the same way.
Nothing here imports Django models: ``settings.py`` imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.files import File

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

S3_BACKEND = "storages.backends.s3.S3Storage"

#: Reading a stored file spools it: up to this size in memory, beyond it a temporary file.
S3_SPOOL_IN_MEMORY = 2 * 1024 * 1024


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
) -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry for a private bucket."""
    import botocore.config  # only when S3 is configured

    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            # Empty: boto3's own lookup (AWS_* variables, an instance role).
            "access_key": access_key_id or None,
            "secret_key": secret_access_key or None,
            # Short timeouts and few retries: an unreachable store must fail a request or
            # the readiness probe in seconds, not hang it for minutes. A server of our own
            # (an address given) is addressed by path: https://host/bucket/name.
            "client_config": botocore.config.Config(
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                connect_timeout=5,
                read_timeout=60,
                retries={"mode": "standard", "max_attempts": 3},
            ),
            # Private objects: no ACL that could make one public; the bucket's policy
            # decides. Files leave only through our views, which check access; should a
            # url() ever be asked for, it is signed and expires.
            "default_acl": None,
            "querystring_auth": True,
            # A taken name is never overwritten: saving to it gets a new name, which the
            # content-addressed stores (intake.storage, correspondence.storage) rely on.
            "file_overwrite": False,
            "max_memory_size": S3_SPOOL_IN_MEMORY,
        },
    }


def _not_found(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def stored_file_open(name: str) -> File[bytes]:
    """Open a stored file for reading, on any backend, to stream it.

    What callers catch is the same for every backend: a missing file is
    ``FileNotFoundError`` (S3 says so with a 404 ``ClientError``), an object store that
    cannot be reached is ``ConnectionError`` (both are ``OSError``, as on local disk).
    On S3 the file is spooled on first read: in memory up to ``S3_SPOOL_IN_MEMORY``,
    beyond that in a temporary file, never whole in memory.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from django.core.files.storage import default_storage

    try:
        handle: File[bytes] = default_storage.open(name, "rb")
    except ClientError as exc:
        if _not_found(exc):
            raise FileNotFoundError(name) from exc
        raise
    except BotoCoreError as exc:  # no answer: refused, timed out, cut off
        raise ConnectionError(f"object storage: {type(exc).__name__}") from exc
    return handle
