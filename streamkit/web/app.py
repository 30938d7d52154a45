"""``create_app(settings)``: the site's one assembly point (extensions, blueprints, headers, error pages).

Python code lives here; templates, static files and translations live in the top-level ``web/`` folder, found
relative to this package (the project runs from an editable install of the repository).
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, make_response, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import Settings, WebSettings
from streamkit.errors import ConfigError
from streamkit.web import (
    admin,
    campaigns,
    family,
    family_admin,
    feeds,
    martyrs,
    messages,
    moderation,
    public,
    register_admin,
    tributes,
    uploads,
    users,
)
from streamkit.web.extensions import (
    LOCALES,
    STORE_KEY,
    babel,
    csrf,
    install_fast_gettext,
    limiter,
    login_manager,
    select_locale,
)
from streamkit.web.page_cache import LocalPages, PageCacheMiddleware, RedisPages

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
log = logging.getLogger(__name__)

# Same-origin everything: no inline script or style, no CDNs. Live HLS may come from another host over https,
# and hls.js feeds the video through blob: URLs and a blob: worker.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob: https:",
        "connect-src 'self' https:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class RowIdConverter(IntegerConverter):
    """A positive integer that fits a database row id; larger numbers are a 404, not an overflow."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=2**63 - 1)


def create_app(settings: Settings, *, archive: ArchiveStore | None = None, secret_key: str | None = None) -> Flask:
    """Build the site for ``settings``; the store is opened (and migrated) here unless one is given."""
    if not (WEB_ROOT / "templates").is_dir():
        raise ConfigError.single(WEB_ROOT, "site templates not found; install streamkit editable from the repository")
    web = settings.web
    key = secret_key or (web.secret_key.get_secret_value() if web.secret_key else None)
    if not key:
        raise ConfigError.single("settings", "set STREAMKIT_WEB__SECRET_KEY (sessions and CSRF need it)", field="web")
    app = Flask(
        "streamkit.web",
        template_folder=str(WEB_ROOT / "templates"),
        static_folder=str(WEB_ROOT / "static"),
        static_url_path="/static",
    )
    app.config.update(
        SECRET_KEY=key,
        SESSION_COOKIE_SECURE=web.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=web.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        MAX_CONTENT_LENGTH=1 << 20,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        PROPAGATE_EXCEPTIONS=False,
        BABEL_TRANSLATION_DIRECTORIES=str(WEB_ROOT / "translations"),
        BABEL_DEFAULT_LOCALE=web.default_locale,
        STREAMKIT_DEFAULT_LOCALE=web.default_locale,
        STREAMKIT_PAGE_SIZE=web.page_size,
        STREAMKIT_MEDIA_ACCEL=web.media_accel,
        STREAMKIT_LOGIN_RATE_LIMIT=web.login_rate_limit,
        STREAMKIT_TRIBUTE_RATE_LIMIT=web.tribute_rate_limit,
        STREAMKIT_TRIBUTE_DAILY_CAP=web.tribute_daily_cap,
        STREAMKIT_MESSAGE_RATE_LIMIT=web.message_rate_limit,
        STREAMKIT_CAMPAIGNS_DIR=str(settings.campaigns_dir),
        RATELIMIT_STORAGE_URI=limiter_storage_uri(web),
        # a Redis outage must not take sign-in or tributes down: each process counts on its own meanwhile
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        STREAMKIT_LIVE_HLS_DIR=settings.live.run_dir / "hls",  # the relay's HLS, served at /live/
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.jinja_env.autoescape = True  # every template, whatever its extension: titles are user data
    archive_store = archive or ArchiveStore(web.database_url, web.media_dir)
    app.extensions[STORE_KEY] = archive_store
    mimetypes.add_type("text/vtt", ".vtt")

    app.before_request(register_admin.allow_uploads)  # before the CSRF check reads the body
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_fast_gettext(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    app.url_map.converters["id"] = RowIdConverter
    app.register_blueprint(public.bp)
    app.register_blueprint(martyrs.bp)
    app.register_blueprint(tributes.bp)
    tributes.init_tributes(app)
    app.register_blueprint(messages.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(moderation.bp, url_prefix="/admin/messages")
    app.register_blueprint(users.bp, url_prefix="/admin/users")
    app.register_blueprint(uploads.bp, url_prefix="/admin/uploads")
    uploads.init_uploads(app, settings)
    app.register_blueprint(register_admin.bp, url_prefix="/admin/martyrs")
    family.init_family(app, settings.participation)
    app.register_blueprint(family.bp)
    app.register_blueprint(family_admin.bp, url_prefix="/admin/family")
    app.register_blueprint(campaigns.bp, url_prefix="/admin/campaigns")
    _mount_overlays(app, settings)
    app.after_request(_security_headers)
    pages = RedisPages(web.redis_url.get_secret_value()) if web.redis_url else LocalPages()
    app.wsgi_app = PageCacheMiddleware(  # type: ignore[method-assign]
        app.wsgi_app,
        archive_store.revision,
        session_cookie=app.config["SESSION_COOKIE_NAME"],
        pages=pages,
        cache_control=public_cache_control(web),
    )
    app.wsgi_app = tributes.TributeFastPath(app.wsgi_app, app, SECURITY_HEADERS)  # type: ignore[method-assign]
    app.context_processor(_template_globals)
    _register_error_pages(app)
    return app


def public_cache_control(web: WebSettings) -> str | None:
    """The Cache-Control of an anonymous public page, which a CDN may carry (None: no header)."""
    if not web.public_max_age:
        return None
    return f"public, max-age={web.public_max_age}, stale-while-revalidate={web.public_stale_seconds}"


def limiter_storage_uri(web: WebSettings) -> str:
    """Where the rate limits count: an explicit storage URI, else the shared Redis, else this process."""
    if web.rate_limit_storage_uri != "memory://" or web.redis_url is None:
        return web.rate_limit_storage_uri
    url = web.redis_url.get_secret_value()
    # the limits package names a Redis on a unix socket redis+unix://
    return "redis+unix://" + url.removeprefix("unix://") if url.startswith("unix://") else url


def _mount_overlays(app: Flask, settings: Settings) -> None:
    """Serve the browser-source overlay pages (/overlays/...) from the same site the operators already run."""
    from streamkit.overlays.style import load_style
    from streamkit.overlays.web import blueprint as overlays_blueprint
    from streamkit.overlays.web import init_overlays

    token = settings.overlays.publish_token
    style = load_style(settings.overlays.style, styles_dir=settings.overlays.styles_dir)
    secret = token.get_secret_value() if token else None
    init_overlays(app, style=style, token=secret, channel=settings.overlays.channel)
    # the event endpoint is for the ceremony runner (loopback or bearer token), not for browser forms
    csrf.exempt(overlays_blueprint)


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _template_globals() -> dict[str, Any]:
    return {"locale": str(get_locale() or "zh"), "locales": LOCALES}


def _register_error_pages(app: Flask) -> None:
    def render_error(code: int, message: str | None = None) -> Response:
        if request.path.startswith("/api/"):
            return make_response({"error": code, "message": message or ""}, code)
        return make_response(render_template("error.html", code=code, message=message), code)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Response:
        return render_error(400, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        # the exception's own headers tell the client what to do next: Allow (405), Content-Range (416)…
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Response:
        # The traceback goes to the server log only; the visitor sees a plain page.
        log.exception("unhandled error on %s", request.path)
        return render_error(500)


def development_secret() -> str:
    """A throwaway key for the development server: sessions end when it restarts."""
    return secrets.token_urlsafe(32)
