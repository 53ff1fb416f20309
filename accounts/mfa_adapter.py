"""Two-factor secrets encrypted at rest, so a copy of the database alone cannot produce codes."""

import base64
import hashlib

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from django.conf import settings


class MFAAdapter(DefaultMFAAdapter):
    """Encrypt authenticator secrets and recovery-code seeds with Fernet (AES-128 and HMAC-SHA256).

    The key comes from MFA_ENCRYPTION_KEY. Changing it makes every stored secret
    unreadable, so staff would have to set up their authenticator again.
    """

    def _fernet(self) -> Fernet:
        digest = hashlib.sha256(f"techforlabour.mfa:{settings.MFA_ENCRYPTION_KEY}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return self._fernet().decrypt(encrypted_text.encode()).decode()
