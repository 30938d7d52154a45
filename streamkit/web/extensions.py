"""The site's extension objects and the helpers views share: the one module blueprints import from the site.

Each object is created here unbound and bound to an app by ``create_app``; a blueprint that imported the factory
module instead would close an import circle through it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_babel import Babel, get_translations, lazy_gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from streamkit.archive.store import ArchiveStore

LOCALES = ("zh", "en")
LANG_COOKIE = "lang"
STORE_KEY = "streamkit_store"

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "admin.login"
# flashed when a page needs sign-in, made a plain string in the visitor's language at that moment
login_manager.login_message = lazy_gettext("Please log in to open this page.")
login_manager.localize_callback = str
# Flask-Login's "strong" mode does no more than "basic" for permanent sessions (ours last 8 h); what ends a session
# is its user signing out or a password reset (accounts.session_user).
login_manager.session_protection = "basic"
babel = Babel()
# The storage comes from each app's RATELIMIT_STORAGE_URI (web.rate_limit_storage_uri).
limiter = Limiter(get_remote_address, default_limits=[])


def store() -> ArchiveStore:
    """The archive store of the running app."""
    found: ArchiveStore = current_app.extensions[STORE_KEY]
    return found


def login_rate_limit() -> str:
    """Sign-in attempts allowed per client (web.login_rate_limit), read per request from the running app."""
    limit: str = current_app.config["STREAMKIT_LOGIN_RATE_LIMIT"]
    return limit


def select_locale() -> str:
    asked = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LOCALES:
        return asked
    default: str = current_app.config["STREAMKIT_DEFAULT_LOCALE"]
    return default


def request_translations() -> Any:
    """The visitor's translations, looked up once per request: Flask-Babel finds them anew for every string, and an
    archive page has some fifty (a fifth of its render time)."""
    found = g.get("_streamkit_translations")
    if found is None:
        found = g._streamkit_translations = get_translations()
    return found


def install_fast_gettext(app: Any) -> None:
    """Flask-Babel's template callables, over ``request_translations``."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
