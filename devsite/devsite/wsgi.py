"""WSGI entry point of the development site."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devsite.settings.base")
application = get_wsgi_application()
