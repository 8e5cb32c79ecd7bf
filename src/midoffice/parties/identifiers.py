"""Belgian identifiers and contact points, validated and normalised (pure functions)."""

from __future__ import annotations

import phonenumbers
from stdnum import exceptions as stdnum_exceptions
from stdnum.be import nn, vat

from midoffice.core.errors import UserError


def normalise_insz(value: str) -> str:
    """An INSZ / rijksregisternummer as 11 digits, checksum-verified, or a UserError."""
    try:
        return str(nn.validate(value))
    except stdnum_exceptions.ValidationError:
        try:
            from stdnum.be import bis

            return str(bis.validate(value))
        except (ImportError, stdnum_exceptions.ValidationError):
            raise UserError("Dit is geen geldig rijksregisternummer.", field="insz") from None


def normalise_kbo(value: str) -> str:
    """A KBO (enterprise) number as 10 digits, checksum-verified, or a UserError."""
    try:
        return str(vat.validate(value))
    except stdnum_exceptions.ValidationError:
        raise UserError("Dit is geen geldig ondernemingsnummer (KBO).", field="kbo") from None


def normalise_phone(value: str, *, region: str = "BE") -> str:
    """A phone number in E.164 (+32…), or a UserError."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise UserError("Dit is geen geldig telefoonnummer.", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise UserError("Dit is geen geldig telefoonnummer.", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    """An e-mail address, trimmed and lowercased (domain and local part; see ADR 0004)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    cleaned = value.strip().lower()
    try:
        validate_email(cleaned)
    except ValidationError:
        raise UserError("Dit is geen geldig e-mailadres.", field="email") from None
    return cleaned


def email_match_key(value: str) -> str:
    """The key used to match senders: lowercase, without +tag in the local part."""
    local, _, domain = value.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def mask_insz(value: str) -> str:
    """For display and logs: only the birth date part stays visible."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"{digits[:6]}-***-**" if len(digits) == 11 else "***"
