from django import template

from accounts.consents import has_consent
from accounts.models import Consent

register = template.Library()


@register.simple_tag
def has_news_consent(user) -> bool:
    """True when the person currently accepts news and call-outs from the network."""
    return has_consent(user, Consent.Purpose.NEWS)
