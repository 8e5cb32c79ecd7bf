"""Tests for extracting handler-relevant entities from Dutch citizen e-mail text.

Pure functions: no Django, no database, no timing assertions.
"""

from __future__ import annotations

from datetime import date

import pytest

from midoffice.routing.extract import (
    Address,
    Entities,
    Parcel,
    extract_entities,
    mask_personal_numbers,
)

# Checksum-valid test numbers (none belongs to a real person).
INSZ = "85073003328"  # the example number of stdnum.be.nn
INSZ_2000 = "05031512367"  # born 15 March 2005: checksum over "2" + first nine digits
BIS = "85473003317"  # month + 40: a BIS number
KBO = "0403170701"
MOBILE_AND_KBO = "0475123420"  # a valid mobile number that also passes the KBO mod 97


def test_nothing_in_empty_text() -> None:
    assert extract_entities("") == Entities()


# --- dossier references ------------------------------------------------------------------


def test_references_plain_and_in_brackets() -> None:
    text = "Betreft: [2026-000123] - zie ook dossier 2025-004567 en nogmaals [2026-000123]."
    assert extract_entities(text).references == ("2026-000123", "2025-004567")


def test_references_need_the_exact_shape() -> None:
    text = "Bestelling 2026-0001234, jaartal 2026, telling 1926-000123, code X2026-000123."
    assert extract_entities(text).references == ()


def test_custom_reference_pattern() -> None:
    text = "Uw kenmerk OMV_2026_0042 en ons kenmerk 2026-000123."
    found = extract_entities(text, reference_pattern=r"\bOMV_\d{4}_\d{4}\b")
    assert found.references == ("OMV_2026_0042",)


# --- national and enterprise numbers -----------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["85.07.30-033.28", "85073003328", "850730 033 28", "85.07.30 033 28", "850730-033.28"],
)
def test_national_number_formats(written: str) -> None:
    text = f"Mijn rijksregisternummer is {written}. Met vriendelijke groeten, Jan"
    assert extract_entities(text).national_numbers == (INSZ,)


def test_national_numbers_born_after_2000_and_bis() -> None:
    text = (
        "Rijksregisternummer van mijn zoon: 05.03.15-123.67; "
        "mijn echtgenote heeft een BIS-nummer 85.47.30-033.17."
    )
    assert extract_entities(text).national_numbers == (INSZ_2000, BIS)


@pytest.mark.parametrize(
    "written", ["85.07.30-033.29", "85073003327", "85.13.30-033.28", "850730 033 2"]
)
def test_invalid_national_numbers_are_rejected(written: str) -> None:
    assert extract_entities(f"INSZ: {written}").national_numbers == ()


def test_national_numbers_stay_out_of_repr() -> None:
    found = extract_entities("Rijksregisternummer 85.07.30-033.28")
    assert found.national_numbers == (INSZ,)
    assert INSZ not in repr(found)
    assert "85.07.30" not in repr(found)


@pytest.mark.parametrize(
    "written",
    ["0403.170.701", "BE 0403 170 701", "BE0403170701", "BE 0403.170.701", "0403 170 701"],
)
def test_enterprise_number_formats(written: str) -> None:
    text = f"Onze vereniging (ondernemingsnummer {written}) vraagt een evenementenvergunning."
    found = extract_entities(text)
    assert found.enterprise_numbers == (KBO,)
    assert found.phone_numbers == ()


def test_invalid_enterprise_numbers_are_rejected() -> None:
    text = "KBO 0403.170.702 en BE 0403 170 700 kloppen niet."
    assert extract_entities(text).enterprise_numbers == ()


def test_ten_bare_digits_that_are_a_mobile_number_are_a_phone_number() -> None:
    found = extract_entities(f"Bel mij gerust: {MOBILE_AND_KBO}")
    assert found.phone_numbers == ("+32475123420",)
    assert found.enterprise_numbers == ()
    # ... unless the text says it is an enterprise number, or writes it as one.
    assert extract_entities(f"KBO-nummer: {MOBILE_AND_KBO}").enterprise_numbers == (MOBILE_AND_KBO,)
    assert extract_entities("Zie 0475.123.420").enterprise_numbers == (MOBILE_AND_KBO,)


# --- phone numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("0499 12 34 56", "+32499123456"),
        ("0499/12.34.56", "+32499123456"),
        ("0499123456", "+32499123456"),
        ("03 201 45 67", "+3232014567"),
        ("03/201.45.67", "+3232014567"),
        ("(03) 201 45 67", "+3232014567"),
        ("09 265 82 11", "+3292658211"),
        ("050 44 80 00", "+3250448000"),
        ("+32 3 201 45 67", "+3232014567"),
        ("+32 (0)3 201 45 67", "+3232014567"),
        ("+32499123456", "+32499123456"),
        ("0032 499 12 34 56", "+32499123456"),
        ("0032 3 201 45 67", "+3232014567"),
    ],
)
def test_phone_formats(written: str, e164: str) -> None:
    text = f"Je kan me overdag bereiken op {written}, na 17u liever per mail."
    found = extract_entities(text)
    assert found.phone_numbers == (e164,)
    assert found.national_numbers == ()
    assert found.enterprise_numbers == ()


def test_several_phones_in_order_without_duplicates() -> None:
    text = "GSM 0499 12 34 56, vast 03 201 45 67, nogmaals mijn gsm: +32 499 12 34 56."
    assert extract_entities(text).phone_numbers == ("+32499123456", "+3232014567")


def test_invalid_phone_numbers_are_rejected() -> None:
    # 031... is not an allocated Antwerp range; 0499 12 34 5 is too short;
    # 0499 12 34 56 7 too long.
    text = "Nummers: 03 123 45 67, 0499 12 34 5 en 0499 12 34 56 7."
    assert extract_entities(text).phone_numbers == ()


# --- e-mail addresses --------------------------------------------------------------------


def test_emails_are_lowercased_and_stripped_of_punctuation() -> None:
    text = (
        "Stuur het naar Jan.Peeters@Telenet.BE of naar <info+bouw@stad.gent>. "
        "Ook (els_de-smet@example.co.uk), zie mailto:dienst.burgerzaken@kasterlee.be."
    )
    assert extract_entities(text).emails == (
        "jan.peeters@telenet.be",
        "info+bouw@stad.gent",
        "els_de-smet@example.co.uk",
        "dienst.burgerzaken@kasterlee.be",
    )


def test_not_emails() -> None:
    text = "Twitter @stadgent, jan@localhost, a@b@c.be, @@, jan..peeters@x.be, x@-y.be, x@y.b"
    assert extract_entities(text).emails == ()


def test_phone_inside_email_is_not_a_phone() -> None:
    found = extract_entities("Antwoord naar 0499123456@sms.example.be aub.")
    assert found.emails == ("0499123456@sms.example.be",)
    assert found.phone_numbers == ()


# --- no false positives ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Gelieve te storten op BE68 5390 0754 7034 met vermelding van het dossier.",
        "Rekeningnummer: BE68539007547034.",
        "Mijn rekening BE71 0961 2345 6769 (BIC GKCCBEBB).",
        "IBAN NL91 ABNA 0417 1643 00",
    ],
)
def test_no_false_positives_on_ibans(text: str) -> None:
    found = extract_entities(text)
    assert found.phone_numbers == ()
    assert found.national_numbers == ()
    assert found.enterprise_numbers == ()
    assert found.dates == ()
    assert found.addresses == ()


def test_no_false_positives_on_ordinary_numbers() -> None:
    text = (
        "Ik betaalde 1.250,00 euro voor 3 stuks (bestelnummer 123456, factuur 20260012). "
        "In 2026 wonen er 12 345 inwoners; zie pagina 12/13 van het verslag, versie 1.2.3, "
        "tijdstip 10:30, telling 99 99 99 999 99, code 0000000000 en 12345678901."
    )
    found = extract_entities(text)
    assert found == Entities()


# --- addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Ik woon in de Kerkstraat 12 bus 3, 9000 Gent en vraag een parkeerkaart.",
            Address("Kerkstraat", "12", "3", "9000", "Gent"),
        ),
        (
            "Mijn nieuwe adres is De Keyserlei 58/2\n2018 Antwerpen",
            Address("De Keyserlei", "58", "2", "2018", "Antwerpen"),
        ),
        (
            "Het gaat om de woning Steenweg op Hoevelde 12 te Kasterlee.",
            Address("Steenweg op Hoevelde", "12", None, None, "Kasterlee"),
        ),
        (
            "Graag een afspraak voor Grote Markt 1, 8000 Brugge.",
            Address("Grote Markt", "1", None, "8000", "Brugge"),
        ),
        (
            "Verhuisd naar de Jan Van Rijswijcklaan 191 in Antwerpen.",
            Address("Jan Van Rijswijcklaan", "191", None, None, "Antwerpen"),
        ),
        (
            "adres: sint-pietersnieuwstraat 25a, 9000 gent",
            Address("sint-pietersnieuwstraat", "25A", None, "9000", "gent"),
        ),
        (
            "Kapelsesteenweg 455 bus A2, B-2180 Ekeren",
            Address("Kapelsesteenweg", "455", "A2", "2180", "Ekeren"),
        ),
        (
            "Ook Vrijdagmarkt nr. 7 - 9000 Gent",
            Address("Vrijdagmarkt", "7", None, "9000", "Gent"),
        ),
        (
            "Dorpsstraat 5 b. 101\n  3000 Leuven",
            Address("Dorpsstraat", "5", "101", "3000", "Leuven"),
        ),
        (
            "We wonen Oude Baan 14, 9100 Sint-Niklaas.",
            Address("Oude Baan", "14", None, "9100", "Sint-Niklaas"),
        ),
    ],
)
def test_addresses(text: str, address: Address) -> None:
    assert extract_entities(text).addresses == (address,)


def test_several_addresses_in_one_mail() -> None:
    text = (
        "Vroeger woonde ik in de Frankrijklei 5, 2000 Antwerpen. "
        "Sinds maart woon ik Tiensevest 21 bus 4, 3000 Leuven.\n"
        "Postadres: Kerkstraat 1, 9000 Gent."
    )
    assert extract_entities(text).addresses == (
        Address("Frankrijklei", "5", None, "2000", "Antwerpen"),
        Address("Tiensevest", "21", "4", "3000", "Leuven"),
        Address("Kerkstraat", "1", None, "9000", "Gent"),
    )


@pytest.mark.parametrize(
    "text",
    [
        "Ik ben onderweg 3 dagen.",
        "In plaats van 2 containers wil ik er 3.",
        "Ze woont in de straat 3 huizen verder.",
        "De Kerkstraat is afgesloten.",  # no house number
        "Vergadering 3 maart",
        "de weg 12 keer afgereden",
    ],
)
def test_not_addresses(text: str) -> None:
    assert extract_entities(text).addresses == ()


# --- cadastral parcels -------------------------------------------------------------------


def test_capakeys() -> None:
    text = "Percelen 11002A0123/00B000 en 44021C0456/02_003 (zie ook 11002A0123/00B000)."
    found = extract_entities(text)
    assert found.capakeys == ("11002A0123/00B000", "44021C0456/02_003")
    assert found.parcels[1] == Parcel("44021", "C", 456, 2, None, 3)
    assert found.phone_numbers == ()
    assert found.dates == ()


@pytest.mark.parametrize(
    ("text", "parcel", "capakey"),
    [
        (
            "Het perceel is kadastraal gekend als afdeling 2, sectie A, perceelnummer 123B.",
            Parcel("2", "A", 123, 0, "B", 0),
            None,
        ),
        (
            "kadastrale afdeling 11002 sectie A nummer 123/02C3",
            Parcel("11002", "A", 123, 2, "C", 3),
            "11002A0123/02C003",
        ),
        (
            "Afd. 3, sectie B en perceel nr. 45",
            Parcel("3", "B", 45, 0, None, 0),
            None,
        ),
        (
            "afdeling 1 sie. c perceel 1234 d 2",
            Parcel("1", "C", 1234, 0, "D", 2),
            None,
        ),
    ],
)
def test_spoken_parcels(text: str, parcel: Parcel, capakey: str | None) -> None:
    found = extract_entities(text)
    assert found.parcels == (parcel,)
    assert parcel.capakey == capakey


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "12/03/2026",
        "12-3-2026",
        "12.03.2026",
        "12 maart 2026",
        "12 MAART 2026",
        "12 mrt 2026",
        "12 mrt. 2026",
        "12de maart 2026",
        "12 maa 2026",
    ],
)
def test_date_formats(written: str) -> None:
    text = f"Kan de afspraak verplaatst worden naar {written}? Alvast bedankt."
    assert extract_entities(text).dates == (date(2026, 3, 12),)


def test_dates_all_months_in_order() -> None:
    text = (
        "1 januari 2026, 2 febr. 2026, 3 april 2026, 4 mei 2026, 5 juni 2026, 6 jul 2026, "
        "7 augustus 2026, 8 sept 2026, 9 okt. 2026, 10 november 2026, 11 dec 2026, 1ste mei 2026"
    )
    assert extract_entities(text).dates == (
        date(2026, 1, 1),
        date(2026, 2, 2),
        date(2026, 4, 3),
        date(2026, 5, 4),
        date(2026, 6, 5),
        date(2026, 7, 6),
        date(2026, 8, 7),
        date(2026, 9, 8),
        date(2026, 10, 9),
        date(2026, 11, 10),
        date(2026, 12, 11),
        date(2026, 5, 1),
    )


def test_invalid_and_incomplete_dates_are_skipped() -> None:
    text = (
        "Niet op 31/02/2026, niet op 30 februari 2026, niet op 12/13/2026, niet op 12 maart "
        "en niet op 12/03/26, wel op 29/02/2028."
    )
    assert extract_entities(text).dates == (date(2028, 2, 29),)


# --- a realistic mail --------------------------------------------------------------------


def test_realistic_mail() -> None:
    text = """Geachte,

Betreft: uw dossier [2026-000123] – aanvraag omgevingsvergunning

Zoals gevraagd bezorg ik u hierbij de ontbrekende stukken. Het gaat om de woning
Steenweg op Hoevelde 12 te Kasterlee, kadastraal gekend als afdeling 2, sectie A,
perceelnummer 123B. De aannemer (BE 0403 170 701) start ten vroegste op 3 februari 2026.

Mijn rijksregisternummer is 85.07.30-033.28. U kan mij bereiken op 0499 12 34 56
of via jan.peeters@telenet.be. Het voorschot werd gestort op BE68 5390 0754 7034.

Met vriendelijke groeten,
Jan Peeters
Kerkstraat 12 bus 3
2460 Kasterlee
"""
    found = extract_entities(text)
    assert found.references == ("2026-000123",)
    assert found.national_numbers == (INSZ,)
    assert found.enterprise_numbers == (KBO,)
    assert found.phone_numbers == ("+32499123456",)
    assert found.emails == ("jan.peeters@telenet.be",)
    assert found.addresses == (
        Address("Steenweg op Hoevelde", "12", None, None, "Kasterlee"),
        Address("Kerkstraat", "12", "3", "2460", "Kasterlee"),
    )
    assert found.parcels == (Parcel("2", "A", 123, 0, "B", 0),)
    assert found.dates == (date(2026, 2, 3),)


# --- masking -----------------------------------------------------------------------------


def test_mask_personal_numbers() -> None:
    text = (
        "INSZ 85.07.30-033.28, kind 05031512367, BIS 854730 033 17, "
        "tikfout 85.07.30-033.29, KBO 0403.170.701, tel 0499 12 34 56, "
        "gewoon getal 12345678901."
    )
    assert mask_personal_numbers(text) == (
        "INSZ [INSZ], kind [INSZ], BIS [INSZ], "
        "tikfout [INSZ], KBO 0403.170.701, tel 0499 12 34 56, "
        "gewoon getal 12345678901."
    )


def test_mask_leaves_text_without_numbers_alone() -> None:
    text = "Geen nummers hier, enkel tekst: café, straat, 2026."
    assert mask_personal_numbers(text) == text
    assert mask_personal_numbers("") == ""


# --- pathological input (must finish; no timing assertions) ------------------------------

MB3 = 3 * 1024 * 1024


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(" " * MB3 + "Kerkstraat 1, 9000 Gent", id="whitespace"),
        pytest.param("\n\t " * (MB3 // 3) + "0499 12 34 56", id="mixed-whitespace"),
        pytest.param("1" * MB3, id="digits"),
        pytest.param("1 " * (MB3 // 2), id="spaced-digits"),
        pytest.param("0." * (MB3 // 2), id="dotted-zeros"),
        pytest.param("a" * MB3, id="letters"),
        pytest.param("a." * (MB3 // 2), id="dotted-letters"),
        pytest.param("@" * MB3, id="at-signs"),
        pytest.param("a@" * (MB3 // 2), id="at-letters"),
        pytest.param("Kerkstraat " * (MB3 // 11), id="street-words"),
        pytest.param("Grote Markt " * (MB3 // 12), id="bare-street-words"),
        pytest.param("afdeling 2 sectie " * (MB3 // 18), id="parcel-words"),
        pytest.param("12 maart " * (MB3 // 9), id="dates-without-year"),
        pytest.param("+32 " * (MB3 // 4), id="country-codes"),
        pytest.param("BE68 " * (MB3 // 5), id="iban-prefixes"),
    ],
)
def test_pathological_input_completes(text: str) -> None:
    found = extract_entities(text)
    assert isinstance(found, Entities)
    assert len(mask_personal_numbers(text)) == len(text)


def test_twenty_thousand_links() -> None:
    links = " ".join(
        f"https://www.example.be/dossiers/2026-{i:06d}?ref=mail&id={i}#sectie-{i}"
        for i in range(20_000)
    )
    text = "Zie de volgende links: " + links + " Mvg, jan@example.be, 0499 12 34 56"
    found = extract_entities(text)
    assert len(found.references) == 20_000
    assert found.emails == ("jan@example.be",)
    assert found.phone_numbers == ("+32499123456",)


def test_many_real_entities() -> None:
    text = "Kerkstraat 12 bus 3, 9000 Gent; 0499 12 34 56; 85.07.30-033.28. " * 20_000
    found = extract_entities(text)
    assert found.addresses == (Address("Kerkstraat", "12", "3", "9000", "Gent"),)
    assert found.phone_numbers == ("+32499123456",)
    assert found.national_numbers == (INSZ,)
    assert mask_personal_numbers(text).count("[INSZ]") == 20_000
