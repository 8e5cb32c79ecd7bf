"""The e-depot plugin interface: submit a package, ask its status, fetch the receipt.

Digitaal Archief Vlaanderen's transfer API is not public, so the interface is small and
every detail of the protocol sits in one plugin: ``http`` (a REST shape, spoken by the
fake e-depot; the real API maps onto it after onboarding) and ``folder`` (a drop folder
such as an SFTP mount, one BagIt bag per package).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from midoffice.core.plugins import Registry


class EdepotUnavailable(Exception):
    """Temporary: the e-depot is down or did not answer in time. Retry later."""


class EdepotRefused(Exception):
    """Permanent: the e-depot refused the package; ``reasons`` say why."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        super().__init__(message)
        self.reasons = reasons or [message]


class DepotState(StrEnum):
    RECEIVED = "received"  # it has the bytes, the checks have not finished
    ACCEPTED = "accepted"  # checked and taken in: a receipt exists
    REJECTED = "rejected"  # checked and refused


@dataclass(frozen=True)
class Package:
    package_id: str  # the package's OBJID
    filename: str
    data: bytes
    sha256: str
    reference: str  # the dossier's number
    series: str  # the series id in the series register


@dataclass(frozen=True)
class Submission:
    submission_id: str  # the e-depot's id for the package
    location: str  # where it went, for people (a URL, a folder)


@dataclass(frozen=True)
class SubmissionStatus:
    state: DepotState
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Receipt:
    """The e-depot's acknowledgement of one accepted package (kept with the transfer)."""

    receipt_id: str
    submission_id: str
    package_id: str
    sha256: str
    size: int
    accepted_at: str  # ISO 8601, as the e-depot says it
    issuer: str
    raw: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id,
            "submission_id": self.submission_id,
            "package_id": self.package_id,
            "sha256": self.sha256,
            "size": self.size,
            "accepted_at": self.accepted_at,
            "issuer": self.issuer,
            "raw": self.raw,
        }


class EdepotTarget(abc.ABC):
    """Where packages go."""

    name: str = ""

    @abc.abstractmethod
    def submit(self, package: Package, *, idempotency_key: str) -> Submission:
        """Hand over one package. The same ``idempotency_key`` never makes two copies."""

    @abc.abstractmethod
    def status(self, submission_id: str) -> SubmissionStatus:
        """Where the e-depot's checks of a submitted package stand."""

    @abc.abstractmethod
    def receipt(self, submission_id: str) -> Receipt:
        """The receipt of an accepted package."""


edepot_targets: Registry[EdepotTarget] = Registry("edepot")
