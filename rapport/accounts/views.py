from __future__ import annotations

import base64
import logging
import math
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from rapport.accounts.decorators import record_readers_required
from rapport.accounts.forms import (
    ApiTokenForm,
    EmailAuthenticationForm,
    EnrolmentCodeForm,
    LanguageChoiceForm,
    ResetPasswordForm,
    TokenForm,
)
from rapport.accounts.middleware import activity_record
from rapport.accounts.models import ApiToken
from rapport.accounts.queries import api_tokens_of, sign_in_blocked_until
from rapport.accounts.services import (
    account_language_set,
    api_token_create,
    api_token_revoke,
    enrolment_code_check,
    enrolment_code_send,
    password_reset_admit,
    sign_in_failure_record,
    submission_once,
    totp_device_confirm,
)
from rapport.http import AuthenticatedHttpRequest
from rapport.links import base_url
from rapport.people.languages import language_of
from rapport.web import client_ip, form_refusal, run_form, say_saved

logger = logging.getLogger(__name__)


class SignOutView(auth_views.LogoutView):
    """Sign out, and ask the browser to drop what it cached for this site: charts are cached by
    the browser (private, revalidated on each use), and a family tablet's next user must not be
    shown the last one's chart from its cache."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The sign-in page that follows knows nobody: it is told the language just left.
        language = language_of(request.user) if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache"'
        if language is not None:
            _remember_language(response, language)
        return response


class SignInView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The address limit comes before any password is checked: a paused address learns
        # nothing, right or wrong.
        until = sign_in_blocked_until(client_ip(request))
        if until is not None:
            minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
            response = render(
                request,
                "accounts/login.html",
                {"form": EmailAuthenticationForm(request), "network_paused_minutes": minutes},
                status=429,
            )
            response["Retry-After"] = str(minutes * 60)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        sign_in_failure_record(ip_address=client_ip(self.request))
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, limited per email address and per client address (see
    accounts.services.password_reset_admit); the page says the same whether or not an email
    went out."""

    form_class = ResetPasswordForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        admitted = password_reset_admit(
            email=form.cleaned_data["email"], ip_address=client_ip(self.request)
        )
        if not admitted:
            return HttpResponseRedirect(self.get_success_url())
        try:
            self.extra_email_context = {"base_url": base_url()}
        except ImproperlyConfigured:
            # Not a 500 on a public page: the person is told what everyone is told.
            logger.error("RAPPORT_BASE_URL is not set: no password-reset email was sent")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordChoiceView(auth_views.PasswordResetConfirmView):
    """Choosing a password from an emailed link: the link names its person, so the page is in
    their language whatever the browser prefers."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = self.get_user(kwargs["uidb64"])
        if user is None:
            return super().dispatch(request, *args, **kwargs)
        with translation.override(language_of(user)):
            return super().dispatch(request, *args, **kwargs)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The pages' language before signing in, kept in a cookie: nothing is stored. Once signed
    in, a person's own choice (their account page) decides instead."""
    language = request.POST.get("language", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        return HttpResponse("Unknown language.", status=400, content_type="text/plain")
    response = redirect(_safe_next(request, default="accounts:login"))
    _remember_language(response, language)
    return response


def _remember_language(response: HttpResponseBase, language: str) -> None:
    """The language of the pages before signing in, for this browser (LanguageMiddleware)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",
    )


@login_required
@require_http_methods(["GET", "POST"])
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A person's own account: the language Rapport writes to them in (a client's is the one on
    their record)."""
    form = LanguageChoiceForm(
        request.POST if request.method == "POST" else None,
        initial={"language": language_of(request.user)},
    )
    saved = run_form(
        request,
        form,
        lambda data: account_language_set(actor=request.user, language=data["language"]),
        then=reverse("accounts:account"),
        # Said after the change, so in the language just chosen (see LanguageMiddleware).
        done=lambda data: _language_saved(data["language"]),
        once=True,
    )
    return saved or render(request, "accounts/account.html", {"form": form})


def _language_saved(language: str) -> str:
    with translation.override(language):
        return _("Saved. Rapport now writes to you in this language.")


def locked_out(
    request: HttpRequest, response: Any = None, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """Shown after too many failures, for known and unknown emails alike."""
    form = EmailAuthenticationForm(request)
    return render(request, "accounts/login.html", {"form": form, "locked_out": True}, status=429)


def _safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target

    return reverse(default)


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg: str = image.to_string(encoding="unicode")  # qrcode ships no types
    return svg


TOTP_SETUP_KEY = "rapport_totp_setup_key"
# The account whose emailed enrolment code this sign-in session has proved.
ENROLMENT_PROVED = "rapport_enrolment_proved"


def _enrolment_step(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Before an authenticator can be enrolled, a code emailed to the account's own address
    must be entered: whoever only knows the password cannot claim the second factor."""
    user = request.user
    form = EnrolmentCodeForm(request.POST if "code" in request.POST else None)
    if request.method == "POST" and "send" in request.POST:
        if enrolment_code_send(user=user):
            messages.success(
                request,
                gettext("We emailed a six-digit code to %(email)s.") % {"email": user.email},
            )
        else:
            messages.error(
                request, gettext("Too many codes were asked for. Please try again in an hour.")
            )
        return redirect(request.get_full_path())
    if form.is_bound and form.is_valid():
        if enrolment_code_check(user=user, code=form.cleaned_data["code"]):
            request.session[ENROLMENT_PROVED] = user.pk
            return redirect(request.get_full_path())
        form.add_error(
            "code", _("That code is wrong, used up or expired. Ask for a new one and try again.")
        )
    return render(
        request,
        "accounts/two_factor_email_code.html",
        {"form": form, "required": settings.RAPPORT_REQUIRE_STAFF_2FA and user.is_practice_staff},
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:two_factor_verify")
    if request.session.get(ENROLMENT_PROVED) != user.pk:
        return _enrolment_step(request)
    # The secret waits in the sign-in session until a code proves the app has it: showing the
    # page stores nothing (a GET never writes), and a device is saved only on a POST.
    key = request.session.get(TOTP_SETUP_KEY)
    if not key:
        key = random_hex(20)
        request.session[TOTP_SETUP_KEY] = key
    device = TOTPDevice(user=user, key=key, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        confirmed = totp_device_confirm(user=user, key=key, token=form.cleaned_data["token"])
        if confirmed is not None:
            request.session.pop(TOTP_SETUP_KEY, None)
            request.session.pop(ENROLMENT_PROVED, None)
            otp_login(request, confirmed)
            messages.success(request, gettext("Two-step sign-in is on for your account."))
            return redirect(_safe_next(request))
        form.add_error(
            "token", _("That code did not match. Check the time on your phone and try again.")
        )
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret": secret,
            "required": settings.RAPPORT_REQUIRE_STAFF_2FA and user.is_practice_staff,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    devices = TOTPDevice.objects.filter(user=request.user, confirmed=True)
    if not devices.exists():
        return redirect("accounts:two_factor_setup")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_safe_next(request))
        form.add_error("token", _("That code did not match. Please try again."))
    return render(request, "accounts/two_factor_verify.html", {"form": form})


# --- API tokens -------------------------------------------------------------------------------


@record_readers_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A person's own API tokens: listed, and a new one made and shown once, on this response
    only. A repeated submit (double click) makes no second token and shows none."""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    made: dict[str, str] = {}

    def create() -> str:
        data = form.cleaned_data
        _, made["token"] = api_token_create(
            actor=request.user,
            user=request.user,
            name=data["name"],
            scope=data["scope"],
            days=data["days"],
        )
        return reverse("accounts:api_tokens")

    if request.method == "POST" and form.is_valid():
        try:
            url, first = submission_once(
                user=request.user, key=form.cleaned_data["submission_key"], perform=create
            )
        except ValidationError as error:
            form_refusal(form, error)
        else:
            if not first:
                say_saved(request, False, "")
                return redirect(url)
            form = ApiTokenForm()
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "tokens": api_tokens_of(request.user),
            "new_token": made.get("token", ""),
            "now": timezone.now(),
        },
    )


@record_readers_required
@require_POST
def api_token_revoke_view(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of one's own tokens; anyone else's is 404, as if it did not exist."""
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(actor=request.user, token=token)
    messages.success(
        request, gettext("Token “%(name)s” revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("accounts:api_tokens")


@login_required
@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in" (accounts/idle.js): counts as activity, to the second, and nothing else;
    the page that asked keeps its forms as they are."""
    activity_record(request)
    return HttpResponse(status=204)
