from django import forms
from django.conf import settings

HONEYPOT_CSS_CLASS = "form-honeypot"


def hide_honeypot(form: forms.Form) -> forms.Form:
    """Hide allauth's honeypot field with a CSS class instead of its inline style.

    The Content Security Policy blocks style attributes, so allauth's
    "position: absolute" would be ignored and people would see the field.
    static/css/site.css hides the class, and no screen reader announces it.
    """
    name = settings.ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD
    field = form.fields.get(name) if name else None
    if field is not None:
        field.widget.attrs.pop("style", None)
        field.widget.attrs.update(
            {"class": HONEYPOT_CSS_CLASS, "tabindex": "-1", "autocomplete": "off", "aria-hidden": "true"}
        )
        field.label = "Leave this empty"
    return form


class HoneypotSignupMixin:
    """For allauth signup views: render the honeypot field without an inline style."""

    def get_form(self, form_class=None):
        return hide_honeypot(super().get_form(form_class))


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my account and my details will be erased, and that this cannot be undone",
        error_messages={"required": "Tick the box to confirm that you want to delete your account."},
    )


class RenewPrivacyConsentForm(forms.Form):
    agree = forms.BooleanField(
        label="I have read the updated privacy notice and agree to Tech for Labour holding my details as it describes",
        error_messages={
            "required": (
                "Tick the box to agree to the updated privacy notice, or delete your account if you do not agree."
            )
        },
    )
