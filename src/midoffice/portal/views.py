"""The citizen's pages under /mijn/. Thin: forms in, services and selectors, templates out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from midoffice.core.display import display_text
from midoffice.core.errors import NotFound, UserError
from midoffice.core.http import client_address
from midoffice.dossiers.models import Dossier
from midoffice.integrations import oidc
from midoffice.parties.linking import canonical_insz
from midoffice.parties.models import Party
from midoffice.places import services as places_services
from midoffice.portal import selectors, services
from midoffice.portal.forms import EmailSignInForm, PreferencesForm, QuestionForm

logger = logging.getLogger(__name__)

SESSION_PARTY = "portal_party"
SESSION_VIA = "portal_via"
SESSION_OIDC = "portal_oidc"
# What this session proved (ADR 29): an e-mail address (by a mailed sign-in link) and a
# national number (by the government login, the contact's id). Both → the contacts link.
SESSION_PROVEN_EMAIL = "portal_proven_email"
SESSION_PROVEN_RRN = "portal_proven_rrn"

CitizenView = Callable[..., HttpResponseBase]


def _current_citizen(request: HttpRequest) -> Party | None:
    party_id = request.session.get(SESSION_PARTY)
    return Party.objects.filter(pk=party_id).first() if party_id else None


def citizen_required(view: CitizenView) -> CitizenView:
    """Signed-in citizens only; NotFound from a selector becomes a plain 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        party = _current_citizen(request)
        if party is None:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('portal:signin')}?{query}")
        try:
            return view(request, party, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapper


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if (
        value
        and value.startswith("/mijn/")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return reverse("portal:home")


def _sign_in(request: HttpRequest, party: Party, via: str) -> None:
    request.session.cycle_key()  # a new session id at sign-in (fixation)
    request.session[SESSION_PARTY] = party.pk
    request.session[SESSION_VIA] = via


def _client_address(request: HttpRequest) -> str:
    # The same address the sign-in lockout counts by (trusts the proxy only when configured).
    return client_address(request)


# --- sign-in ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.GET.get("next") or request.POST.get("next"))
    form = EmailSignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.signin_link_request(
                email=form.cleaned_data["email"],
                client_address=_client_address(request),
                next_path=next_url,
            )
        except UserError as exc:
            form.add_error("email", exc.message)
            status = exc.status_code
        else:
            return render(request, "portal/signin_sent.html", {})
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "portal/signin.html",
        {"form": form, "next": next_url, "oidc_enabled": oidc.is_configured()},
        status=status,
    )


def _callback_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("portal:oidc_callback"))


@require_http_methods(["GET"])
def oidc_start(request: HttpRequest) -> HttpResponse:
    provider = oidc.citizen_provider()
    if provider is None:
        raise Http404("OIDC is not configured")
    # State, nonce and the PKCE verifier are kept by the library; only where to go after.
    request.session[SESSION_OIDC] = {"next": _safe_next(request, request.GET.get("next"))}
    try:
        return oidc.authorization_redirect(request, provider, redirect_uri=_callback_uri(request))
    except oidc.OidcError:
        logger.warning("citizen login provider unreachable", exc_info=True)
        return _signin_failed(
            request, "De aanmeldpagina van de Vlaamse overheid is nu niet bereikbaar."
        )


def _signin_failed(request: HttpRequest, message: str, status: int = 502) -> HttpResponse:
    return render(
        request,
        "portal/signin.html",
        {
            "form": EmailSignInForm(),
            "next": reverse("portal:home"),
            "oidc_enabled": oidc.is_configured(),
            "error": message,
        },
        status=status,
    )


@require_http_methods(["GET"])
def oidc_callback(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop(SESSION_OIDC, None)
    provider = oidc.citizen_provider()
    if not pending or provider is None:
        return _signin_failed(
            request, "Je aanmelding is verlopen of onvolledig. Probeer opnieuw.", status=400
        )
    try:
        claims = oidc.callback_claims(request, provider)
        party = services.citizen_from_claims(claims=claims)
    except oidc.OidcStateError:
        return _signin_failed(
            request, "Je aanmelding is verlopen of onvolledig. Probeer opnieuw.", status=400
        )
    except oidc.OidcError:
        logger.warning("citizen login failed", exc_info=True)
        return _signin_failed(request, "Aanmelden is niet gelukt. Probeer het later opnieuw.")
    except UserError as exc:
        return _signin_failed(request, exc.message, status=400)
    _sign_in(request, party, "oidc")
    request.session[SESSION_PROVEN_RRN] = party.pk
    proven = request.session.pop(SESSION_PROVEN_EMAIL, None)
    # Only a recent proof counts (a shared computer left signed in must not link).
    if isinstance(proven, dict) and time.time() - float(proven.get("at", 0)) < (
        settings.PORTAL_LINK_MINUTES * 60
    ):
        _link_and_tell(request, party, str(proven["email"]), "link")
    return redirect(pending.get("next") or reverse("portal:home"))


def _link_and_tell(request: HttpRequest, party: Party, email: str, proof: str) -> None:
    try:
        message = services.identity_link_outcome(party=party, email=email, proof=proof)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, message)


def _rrn_party(request: HttpRequest) -> Party | None:
    """The contact signed in with the government login in this session, if any."""
    party = _current_citizen(request)
    if party is None or request.session.get(SESSION_PROVEN_RRN) != party.pk or not party.insz:
        return None
    return party


@require_http_methods(["GET", "POST"])
def link_email(request: HttpRequest) -> HttpResponse:
    """*Koppel je e-mailadres*: after the government login, prove an address by a code."""
    party = _rrn_party(request)
    if party is None:
        messages.info(request, "Meld je eerst aan met je eID of itsme.")
        return redirect(f"{reverse('portal:signin')}?{urlencode({'next': request.path})}")
    error, status, sent_to = "", 200, request.session.get("portal_code_sent_to", "")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                email = request.POST.get("email", "")
                services.link_code_request(
                    party=party, email=email, client_address=_client_address(request)
                )
                request.session["portal_code_sent_to"] = sent_to = email.strip().lower()
            else:
                message = services.link_code_verify(party=party, code=request.POST.get("code", ""))
                request.session.pop("portal_code_sent_to", None)
                messages.info(request, message)
                return redirect("portal:home")
        except UserError as exc:
            error, status = exc.message, exc.status_code
    return render(
        request,
        "portal/link_email.html",
        {"party": party, "error": error, "sent_to": sent_to},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def link_signin(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST uses the link: mail scanners that follow links (GET)
    must not use up the single-use link."""
    try:
        # The page the citizen wanted when asking for the link travels in the link.
        next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
        if request.method == "POST":
            link = services.signin_link_use(token=token)
            rrn_party = _rrn_party(request)
            if rrn_party is not None and link.email:
                # Signed in with the national number already: the link proves the address,
                # the session stays with the government login (ADR 29).
                _link_and_tell(request, rrn_party, link.email, "link")
                return redirect(next_url)
            _sign_in(request, link.party, "link")
            if link.email:
                request.session[SESSION_PROVEN_EMAIL] = {"email": link.email, "at": time.time()}
            return redirect(next_url)
        services.signin_link_check(token=token)
    except UserError as exc:
        return render(request, "portal/link_invalid.html", {"error": exc.message}, status=410)
    return render(request, "portal/link_confirm.html", {"next": next_url})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    for key in (
        SESSION_PARTY,
        SESSION_VIA,
        SESSION_OIDC,
        SESSION_PROVEN_EMAIL,
        SESSION_PROVEN_RRN,
        "portal_code_sent_to",
    ):
        request.session.pop(key, None)
    request.session.cycle_key()
    messages.info(request, "Je bent afgemeld.")
    return redirect("portal:signin")


# --- the citizen's pages -------------------------------------------------------------------


@citizen_required
def home(request: HttpRequest, party: Party) -> HttpResponse:
    dossiers = list(selectors.citizen_dossier_list(party=party))
    return render(
        request,
        "portal/home.html",
        {"party": party, "dossiers": dossiers, "can_link_email": _rrn_party(request) is not None},
    )


def _dossier_context(party: Party, reference: str, form: QuestionForm | None) -> dict[str, Any]:
    dossier = selectors.citizen_dossier_get(party=party, reference=reference)
    mails = selectors.citizen_mails(party=party, dossier=dossier)
    # Without a known national number: invite the government login once (ADR 29).
    invite = oidc.is_configured() and not canonical_insz(party)
    return {
        "party": party,
        "dossier": dossier,
        "timeline": list(selectors.citizen_timeline(dossier=dossier)),
        "questions": list(selectors.citizen_questions(dossier=dossier)),
        "documents": list(selectors.citizen_documents(dossier=dossier)),
        "mails": mails,
        "mail_attachment_count": sum(len(m.attachments) for m in mails),
        "letters": list(selectors.citizen_letters(party=party, dossier=dossier)),
        "has_location": services.dossier_location(dossier) is not None,
        "form": form or QuestionForm(),
        "invite_government_login": invite,
    }


@citizen_required
def dossier_detail(request: HttpRequest, party: Party, reference: str) -> HttpResponse:
    # The access check comes before the method check, so a foreign id is always a 404.
    context = _dossier_context(party, reference, None)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(request, "portal/dossier.html", context)


def _question_address(
    request: HttpRequest, form: QuestionForm, dossier: Dossier
) -> places_services.CheckedAddress | None:
    """The address the citizen gave with a question on a dossier without one, checked
    against the register before the question's transaction (ADR 26): picked or found →
    the register's spelling and object; down → as typed, verified later. A line without
    street and number is refused (``field="address"``)."""
    text = str(form.cleaned_data.get("address") or "").strip()
    picked = str(request.POST.get("address_id", "")).strip()
    address_id = picked if picked.isdigit() else ""
    if not (text or address_id) or services.dossier_location(dossier) is not None:
        return None
    location, check = places_services.address_for_new_dossier(text=text, address_id=address_id)
    return places_services.CheckedAddress(location=location, check=check)


@citizen_required
def question(request: HttpRequest, party: Party, reference: str) -> HttpResponse:
    dossier = selectors.citizen_dossier_get(party=party, reference=reference)
    if request.method == "GET":
        return redirect("portal:dossier", reference=dossier.reference)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = QuestionForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            address = _question_address(request, form, dossier)
            asked = services.question_ask(
                party=party,
                dossier=dossier,
                text=form.cleaned_data["text"],
                attachment=form.cleaned_data.get("attachment"),
                about_property=form.cleaned_data.get("about") == "property",
                address=address,
            )
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if asked.new_dossier is not None:
                messages.success(
                    request,
                    f"Bedankt. We openden een nieuw dossier {asked.new_dossier.reference} "
                    "voor je vraag.",
                )
                return redirect("portal:dossier", reference=asked.new_dossier.reference)
            messages.success(request, "Bedankt. Je vraag is verstuurd naar je dossierbehandelaar.")
            return redirect("portal:dossier", reference=dossier.reference)
    return render(
        request, "portal/dossier.html", _dossier_context(party, reference, form), status=status
    )


@citizen_required
def document_download(
    request: HttpRequest, party: Party, reference: str, document_id: int
) -> HttpResponseBase:
    document = selectors.citizen_document_get(
        party=party, reference=reference, document_id=document_id
    )
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        # Shown by the browser's download bar: no bidi override ("factuur<RLO>fdp.exe").
        filename=display_text(document.name, "document"),
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@citizen_required
def mail_attachment_download(
    request: HttpRequest, party: Party, reference: str, attachment_id: int
) -> HttpResponseBase:
    """An attachment of the citizen's own e-mail: always a download, never shown in our
    origin (what came in by mail is not checked like a portal upload)."""
    found = selectors.citizen_mail_attachment_get(
        party=party, reference=reference, attachment_id=attachment_id
    )
    if request.method not in ("GET", "HEAD"):
        found.file.close()
        return HttpResponseNotAllowed(["GET"])
    # Streamed from the storage: a large attachment is never whole in memory.
    response = FileResponse(found.file, content_type="application/octet-stream")
    shown = display_text(found.filename, "bijlage")
    response["Content-Disposition"] = content_disposition_header(True, shown) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response


@citizen_required
def letter_download(
    request: HttpRequest, party: Party, reference: str, letter_id: int
) -> HttpResponseBase:
    """The answer as it left: the signed PDF."""
    found = selectors.citizen_letter_get(party=party, reference=reference, letter_id=letter_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    response = HttpResponse(found.data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, found.filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


@citizen_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, party: Party) -> HttpResponse:
    initial = {
        "preferred_channel": party.preferred_channel or "email",
        "email_consent": party.email_consent,
        "ebox_consent": party.ebox_consent,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.preferences_set(
                    party=party,
                    channel=form.cleaned_data["preferred_channel"],
                    email_consent=form.cleaned_data["email_consent"],
                    ebox_consent=form.cleaned_data["ebox_consent"],
                )
            except UserError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Je voorkeuren zijn bewaard.")
                return redirect("portal:preferences")
        status = 400
    return render(request, "portal/preferences.html", {"party": party, "form": form}, status=status)
