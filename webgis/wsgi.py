"""The app for WSGI servers other than ``webgis serve``, e.g. gunicorn.

    gunicorn -w 4 -b 127.0.0.1:8000 'webgis.wsgi:app'

Settings come from the environment as for ``webgis serve``. Like ``webgis serve``
it moves Python 3.11's cyclic garbage collection between requests (see
webgis.core.collection); each worker process that imports this module does so.
"""

from webgis import create_app
from webgis.core.collection import collect_between_requests

app = create_app()
collect_between_requests(app)
