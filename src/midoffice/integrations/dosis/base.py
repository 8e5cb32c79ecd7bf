"""The DOSIS plugin interface: an abstract base class with dataclass inputs and outputs."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any

from midoffice.core.plugins import Registry


class DosisUnavailable(Exception):
    """DOSIS did not answer or answered 5xx: try again later."""


class DosisRejected(Exception):
    """DOSIS refused the registration (a functional error): retrying will not help."""


@dataclass(frozen=True)
class Agent:
    """Who may see the dossier in Mijn Burgerprofiel / the e-loket."""

    kind: str  # "rrn" (national number) or "kbo" (enterprise number)
    id: str


@dataclass(frozen=True)
class DossierRegistration:
    """One registration: the dossier as it stands after an opening or a status change."""

    dossier_id: str
    reference: str
    type_code: str
    type_name: str
    title: str
    status_code: str
    status_text: str
    action_needed: bool
    action_text: str
    agents: tuple[Agent, ...]
    entity: str
    source: str
    url: str
    timestamp: dt.datetime
    contact: str = ""

    def to_payload(self) -> dict[str, Any]:
        """A JSON-safe dict (for the outbox)."""
        data = asdict(self)
        data["timestamp"] = self.timestamp.isoformat()
        data["agents"] = [asdict(agent) for agent in self.agents]
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> DossierRegistration:
        values = dict(data)
        values["timestamp"] = dt.datetime.fromisoformat(values["timestamp"])
        values["agents"] = tuple(Agent(**agent) for agent in values["agents"])
        return cls(**values)


@dataclass(frozen=True)
class RegistrationReceipt:
    """The synchronous answer of RegistreerDossier: accepted for processing, or not."""

    accepted: bool
    registration_id: str = ""
    errors: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DosisReason:
    """One reason DOSIS gives for a refusal: its code (Identificatie) and text (Diagnose)."""

    code: str
    text: str

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


@dataclass(frozen=True)
class RegistrationResult:
    """The outcome of GeefResultaatRegistratie for one registration."""

    registration_id: str
    state: str  # "VERWERKT", "IN_VERWERKING" or "FOUT" (see schema.RESULT_STATES)
    errors: tuple[str, ...] = field(default_factory=tuple)
    reasons: tuple[DosisReason, ...] = field(default_factory=tuple)

    @property
    def accepted(self) -> bool:
        return self.state == "VERWERKT"

    @property
    def pending(self) -> bool:
        return self.state == "IN_VERWERKING"


@dataclass(frozen=True)
class CodeListEntry:
    """One code of a DOSIS code list (GeefCodeLijst)."""

    code: str
    description: str


class DosisPlugin(ABC):
    """A way to publish dossier status to DOSIS."""

    @abstractmethod
    def register(
        self, registration: DossierRegistration, *, idempotency_key: str
    ) -> RegistrationReceipt:
        """Register the dossier (or its progress).

        Raises DosisUnavailable when DOSIS cannot be reached (retry later) and
        DosisRejected when it refuses the content. Sending the same ``idempotency_key``
        twice registers once.
        """

    @abstractmethod
    def result(self, *, registration_id: str) -> RegistrationResult:
        """The asynchronous result of an earlier registration.

        Raises DosisUnavailable when DOSIS cannot be reached or its answer cannot be read.
        """

    @abstractmethod
    def code_list(self, *, name: str) -> tuple[CodeListEntry, ...]:
        """The codes of the DOSIS code list ``name`` (GeefCodeLijst).

        Raises DosisUnavailable when DOSIS cannot be reached and DosisRejected when it
        does not know the list.
        """


dosis_plugins: Registry[DosisPlugin] = Registry("dosis")
