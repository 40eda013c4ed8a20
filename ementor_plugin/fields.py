"""Model fields that encrypt free text at rest with eMentor's own keys.

django-fernet-fields-v2 reads the process-wide ``FERNET_KEYS``, which other apps in the LMS share. These
subclasses read ``settings.EMENTOR_FERNET_KEYS`` first, so eMentor's keys can be rotated (or leaked) without
touching anyone else's data; they fall back to ``FERNET_KEYS`` and then ``SECRET_KEY`` as the parent does.

Keys are looked up on every use rather than cached on the field, so a changed setting (key rotation, tests
overriding settings) takes effect at once; the derived ``Fernet`` objects are cached per key list.

The import paths of these classes are written into migrations: keep them stable.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.encoding import force_bytes, force_str
from fernet_fields import EncryptedTextField as _FernetTextField
from fernet_fields import hkdf

__all__ = ["EncryptedJSONField", "EncryptedTextField", "current_keys", "key_ring", "primary_key_fernet"]


def current_keys() -> tuple[str, ...]:
    """Return the keys eMentor encrypts with (first) and decrypts with (all), in settings order.

    Raises:
        ImproperlyConfigured: when ``EMENTOR_FERNET_KEYS`` is set but empty or not a list of strings.
    """
    keys = getattr(settings, "EMENTOR_FERNET_KEYS", None)
    if keys is None:
        keys = getattr(settings, "FERNET_KEYS", None)
    if keys is None:
        keys = [settings.SECRET_KEY]
    if isinstance(keys, str) or not keys or not all(isinstance(key, str | bytes) and key for key in keys):
        raise ImproperlyConfigured("EMENTOR_FERNET_KEYS must be a non-empty list of non-empty keys")
    return tuple(keys)


def _use_hkdf() -> bool:
    return getattr(settings, "FERNET_USE_HKDF", True)


@lru_cache(maxsize=8)
def _derived_keys(keys: tuple[str | bytes, ...], use_hkdf: bool) -> tuple[bytes | str, ...]:
    # Deriving a key costs an HKDF run; cache per key list so a rotated list gets its own entry.
    return tuple(hkdf.derive_fernet_key(key) for key in keys) if use_hkdf else keys


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str | bytes, ...], use_hkdf: bool) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _derived_keys(keys, use_hkdf)])


def key_ring() -> MultiFernet:
    """Encrypts with the first configured key, decrypts with any of them."""
    return _fernet(current_keys(), _use_hkdf())


def primary_key_fernet() -> Fernet:
    """Only the first configured key: a value it decrypts needs no rotation."""
    return Fernet(_derived_keys(current_keys(), _use_hkdf())[0])


class _EmentorKeysMixin:
    """Replace the parent's cached, ``FERNET_KEYS``-based key properties with eMentor's, read on each use."""

    @property
    def keys(self) -> tuple[str, ...]:  # type: ignore[override]
        """The raw keys from settings (first encrypts)."""
        return current_keys()

    @property
    def fernet_keys(self) -> list[bytes | str]:  # type: ignore[override]
        """The keys as Fernet uses them (HKDF-derived unless FERNET_USE_HKDF is False)."""
        return list(_derived_keys(current_keys(), _use_hkdf()))

    @property
    def fernet(self) -> MultiFernet:  # type: ignore[override]
        """A MultiFernet over the current keys."""
        # MultiFernet encrypts with the first key and decrypts with any, which is what rotation needs.
        return key_ring()


class EncryptedTextField(_EmentorKeysMixin, _FernetTextField):
    """Free text encrypted at rest (a binary column holding a Fernet token). Supports no lookups but isnull.

    The empty string is stored as empty bytes: it hides nothing, a Fernet token is never empty (so the two
    cannot be confused), and a run writing thousands of matches with blank reasons skips as many encryptions.
    """

    def get_db_prep_save(self, value: Any, connection) -> Any:
        """Encrypt, except the empty string."""
        if isinstance(value, str) and value == "":
            return connection.Database.Binary(b"")
        return super().get_db_prep_save(value, connection)

    def from_db_value(self, value, expression, connection, *args) -> Any:
        """Decrypt; empty bytes are the empty string."""
        if value is not None and len(value) == 0:
            return ""
        return super().from_db_value(value, expression, connection, *args)


class EncryptedJSONField(_EmentorKeysMixin, _FernetTextField):
    """A JSON document encrypted at rest: for data derived from people's free text (e.g. match evidence).

    The value is any JSON-serialisable object; ``None`` stays SQL NULL.
    """

    def get_db_prep_save(self, value: Any, connection) -> Any:
        """Serialise to JSON, then encrypt."""
        # Encrypt the JSON text directly: the parent would first pass the value through to_python, which
        # decodes JSON text back into an object.
        if value is None:
            return None
        text = json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)
        return connection.Database.Binary(self.fernet.encrypt(force_bytes(text)))

    def from_db_value(self, value, expression, connection, *args) -> Any:
        """Decrypt, then parse the JSON."""
        if value is None:
            return None
        return json.loads(force_str(self.fernet.decrypt(bytes(value))))

    def to_python(self, value: Any) -> Any:
        """Accept the object itself or its JSON text."""
        # Forms and deserialisers hand in either the decoded object or its JSON text.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def value_to_string(self, obj) -> str:
        """JSON text, for serializers (dumpdata)."""
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder, sort_keys=True)
