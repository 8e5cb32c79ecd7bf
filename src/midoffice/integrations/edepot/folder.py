"""The ``folder`` e-depot plugin: each package as a BagIt bag in a drop folder.

For an e-depot that collects packages from a folder (an SFTP mount, a shared disk) and
for the demo without the fake. The bag is written beside the final name and renamed into
place only once it validates, so a collector never sees half a package, and a crash
leaves at most a ``.incoming-*`` folder that the next attempt replaces. The receipt is the
delivery's own: where the bag is, its SHA-256 manifest and Payload-Oxum, checked again
with ``bagit`` when it is asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import bagit

from midoffice.integrations.edepot.base import (
    DepotState,
    EdepotRefused,
    EdepotTarget,
    EdepotUnavailable,
    Package,
    Receipt,
    Submission,
    SubmissionStatus,
    edepot_targets,
)


def _safe_name(package_id: str) -> str:
    if not package_id or any(c in package_id for c in "/\\") or package_id.startswith("."):
        raise EdepotRefused(f"unusable package id {package_id!r}")
    return package_id


@edepot_targets.register("folder")
class FolderEdepot(EdepotTarget):
    name = "folder"

    def __init__(self, *, folder: str, **_: Any):
        self.root = Path(folder)

    def _bag_path(self, submission_id: str) -> Path:
        return self.root / _safe_name(submission_id)

    def _valid_bag(self, path: Path) -> bagit.Bag | None:
        try:
            bag = bagit.Bag(str(path))
            bag.validate()
        except (bagit.BagError, OSError):
            return None
        return bag

    def submit(self, package: Package, *, idempotency_key: str) -> Submission:
        name = _safe_name(package.package_id)
        final = self.root / name
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            existing = self._valid_bag(final) if final.exists() else None
            if existing is not None:
                if existing.info.get("Package-SHA256") != package.sha256:
                    raise EdepotRefused(f"a different package {name} is already in the folder")
                return Submission(submission_id=name, location=str(final))
            incoming = self.root / f".incoming-{name}"
            if incoming.exists():
                shutil.rmtree(incoming)
            incoming.mkdir()
            (incoming / package.filename).write_bytes(package.data)
            bagit.make_bag(
                str(incoming),
                bag_info={
                    "Source-Organization": "Midoffice",
                    "External-Identifier": name,
                    "External-Description": f"E-ARK SIP van dossier {package.reference}",
                    "Package-SHA256": package.sha256,
                    "Idempotency-Key": idempotency_key,
                    "Series": package.series,
                },
                checksums=["sha256"],
            )
            if self._valid_bag(incoming) is None:
                raise EdepotUnavailable("the bag just written does not validate")
            if final.exists():
                shutil.rmtree(final)  # an invalid leftover of an earlier attempt
            os.replace(incoming, final)
        except OSError as exc:
            raise EdepotUnavailable(f"cannot write to {self.root}: {exc}") from exc
        return Submission(submission_id=name, location=str(final))

    def status(self, submission_id: str) -> SubmissionStatus:
        path = self._bag_path(submission_id)
        if not path.exists():
            return SubmissionStatus(state=DepotState.REJECTED, reasons=["the bag is gone"])
        if self._valid_bag(path) is None:
            return SubmissionStatus(state=DepotState.REJECTED, reasons=["the bag is not valid"])
        return SubmissionStatus(state=DepotState.ACCEPTED)

    def receipt(self, submission_id: str) -> Receipt:
        path = self._bag_path(submission_id)
        bag = self._valid_bag(path)
        if bag is None:
            raise EdepotUnavailable(f"no valid bag at {path}")
        payload = next(iter(bag.payload_files()))
        size = (path / payload).stat().st_size
        manifest = (path / "manifest-sha256.txt").read_bytes()
        delivered = dt.datetime.fromtimestamp((path / "bagit.txt").stat().st_mtime, tz=dt.UTC)
        return Receipt(
            receipt_id=f"folder-{hashlib.sha256(manifest).hexdigest()[:16]}",
            submission_id=submission_id,
            package_id=submission_id,
            sha256=str(bag.info.get("Package-SHA256", "")),
            size=size,
            accepted_at=delivered.isoformat(timespec="seconds"),
            issuer=f"map {self.root}",
            raw={
                "bag": str(path),
                "payload_oxum": str(bag.info.get("Payload-Oxum", "")),
                "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
            },
        )
