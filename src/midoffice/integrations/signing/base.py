"""The signing adapter interface: a PDF goes in, a signed PDF comes out."""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass

from midoffice.core.plugins import Registry


class SigningError(Exception):
    """The signature could not be applied (bad certificate, service refused, …)."""


@dataclass(frozen=True)
class SignRequest:
    pdf: bytes
    reason: str
    signer_name: str
    location: str = ""
    signer_function: str = ""


@dataclass(frozen=True)
class SignedDocument:
    pdf: bytes
    certificate_subject: str
    signed_at: dt.datetime
    service_reference: str = ""


class Signer(abc.ABC):
    """Applies a PAdES signature to a PDF; never changes anything but adds the signature."""

    @abc.abstractmethod
    def sign(self, request: SignRequest) -> SignedDocument:
        """Return the signed PDF (an incremental update of ``request.pdf``)."""


signers: Registry[Signer] = Registry("signing")
