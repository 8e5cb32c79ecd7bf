"""Fictional staff of the demo town at the fake identity provider, with their groups.

The group values look like what Entra ID sends in the ``groups`` claim (object ids are
opaque; readable names keep the demo understandable).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStaffMember:
    username: str
    given_name: str
    family_name: str
    groups: tuple[str, ...]

    @property
    def sub(self) -> str:
        return f"staff-{self.username}"

    @property
    def email(self) -> str:
        return f"{self.username}@leemdonk.example"


DEMO_STAFF = (
    DemoStaffMember("an.peeters", "An", "Peeters", ("sg-midoffice-omgeving",)),
    DemoStaffMember("jef.maes", "Jef", "Maes", ("sg-midoffice-teamleads", "sg-midoffice-omgeving")),
    DemoStaffMember("els.wouters", "Els", "Wouters", ("sg-bibliotheek",)),
)

# `make run` maps sg-midoffice-omgeving to handler in team omgeving and
# sg-midoffice-teamleads to team lead (settings.FAKE_STAFF_OIDC); Els is in no Midoffice
# group, so she is refused.
