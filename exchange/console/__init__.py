"""The operator console: the web pages where a society's staff read and decide.

``exchange serve`` mounts it under ``/console/`` (``mount_console`` in
:mod:`exchange.console.app`) unless ``[console] enabled = false``. It is a
FastAPI application of its own, beside the partner API: it knows only its
session cookie (:mod:`exchange.console.auth`), the partner API only bearer
tokens, so neither opens the other.

* ``app.py``: the application, its error pages and security headers;
* ``auth.py``: who is signed in, the role that decides, the CSRF check;
* ``signin.py``: the sign-in and sign-out pages;
* ``layout.py``: the navigation and the rendering of a page in the base layout;
* ``rendering.py``: the Jinja2 environment over ``templates/`` (also used for files
  written outside the console, such as the HTML reports);
* ``paging.py``: long lists cut into pages;
* ``pages/``: one module per page, each calling the engine functions the CLI calls.

Templates are in ``templates/`` and the stylesheet in ``static/``: the node serves
every asset itself, nothing comes from another host.
"""
