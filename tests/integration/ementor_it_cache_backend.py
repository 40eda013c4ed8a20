"""A Celery result backend on the Django cache framework, as the platform's ``django-cache`` backend is.

The platform resolves ``CELERY_RESULT_BACKEND = "django-cache"`` to django-celery-results' ``CacheBackend``: a
``KeyValueStoreBackend`` that keeps results in ``caches[CELERY_CACHE_BACKEND]`` and has no atomic counter, so a
chord's body is started by Celery's ``chord_unlock`` polling task rather than by the last part. This class does
the same (Django cache, no ``incr``), so the chord is tested the way it runs in the LMS without adding
django-celery-results to the test requirements.
"""

from celery.backends.base import KeyValueStoreBackend
from django.core.cache import caches


class DjangoCacheBackend(KeyValueStoreBackend):
    """Task results in a Django cache; values are pickled by the cache, not by Celery (as upstream does)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.serializer = "pickle"

    @property
    def cache(self):
        """The Django cache named by ``CELERY_CACHE_BACKEND``."""
        return caches[self.app.conf.cache_backend or "default"]

    def get(self, key):
        """Read a result."""
        return self.cache.get(key)

    def set(self, key, value):
        """Store a result for ``result_expires``."""
        self.cache.set(key, value, self.expires)

    def delete(self, key):
        """Forget a result."""
        self.cache.delete(key)

    def encode(self, data):
        """Leave values as they are: the cache pickles them."""
        return data

    def decode(self, data):
        """See :meth:`encode`."""
        return data
