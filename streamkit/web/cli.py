"""``streamkit web``: serve the site (development server or gunicorn) and manage staff accounts."""

from __future__ import annotations

import getpass
import logging
from typing import Annotated, Any

import typer

from streamkit.cli_common import default_note, open_archive, out_console, settings_of
from streamkit.errors import ConfigError

app = typer.Typer(help="The schedule and archive site.", no_args_is_help=True)
log = logging.getLogger(__name__)


def gunicorn_options(bind: str, workers: int) -> dict[str, Any]:
    """Gunicorn settings for production: threaded workers behind a reverse proxy that terminates TLS.

    Threads, not sync workers: every OBS browser source keeps an overlay event stream open for the whole
    ceremony, and a sync worker would be taken by each one.
    """
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "gthread",
        "threads": 16,
        "accesslog": "-",
        "errorlog": "-",
        "timeout": 30,
        # on stop, open event streams would hold a worker for the whole default 30 s; OBS reconnects by itself
        "graceful_timeout": 5,
        "keepalive": 5,
        # Only the local reverse proxy may set X-Forwarded-* (see docs/web.md).
        "forwarded_allow_ips": "127.0.0.1",
    }


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on. " + default_note("settings web.host"))] = None,
    port: Annotated[int | None, typer.Option(help="Port. " + default_note("settings web.port"))] = None,
    prod: Annotated[bool, typer.Option("--prod", help="Serve with gunicorn (production).")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Gunicorn worker processes (--prod).")] = 2,
) -> None:
    """Serve the site; without --prod, Flask's development server over plain HTTP."""
    from streamkit.web.app import create_app, development_secret

    settings = settings_of(ctx)
    web = settings.web
    bind_host, bind_port = host or web.host, port or web.port
    open_archive(settings).dispose()  # migrate once, before any worker starts
    if prod:
        if web.secret_key is None:
            raise ConfigError.single("settings", "set STREAMKIT_WEB__SECRET_KEY before serving in production")
        from gunicorn.app.base import BaseApplication

        class Site(BaseApplication):
            def load_config(self) -> None:
                for key, value in gunicorn_options(f"{bind_host}:{bind_port}", workers).items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                from werkzeug.middleware.proxy_fix import ProxyFix

                site = create_app(settings)
                site.wsgi_app = ProxyFix(site.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
                return site

        out_console.print(f"serving on http://{bind_host}:{bind_port}/ with {workers} gunicorn workers", markup=False)
        Site().run()
        return
    # Plain HTTP in development: cookies cannot be Secure, and a missing key becomes a throwaway one.
    settings = settings.model_copy(update={"web": web.model_copy(update={"secure_cookies": False})})
    site = create_app(settings, secret_key=None if web.secret_key else development_secret())
    out_console.print(f"serving on http://{bind_host}:{bind_port}/ (development server; Ctrl-C stops)", markup=False)
    site.run(host=bind_host, port=bind_port, debug=False, use_reloader=False)


@app.command("add-user")
def add_user_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Staff user name.")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create a staff account (or reset its password); the password is asked for, never taken as an argument."""
    import sys

    from streamkit.web.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise ConfigError.single("add-user", "the passwords differ")
    user = add_user(open_archive(settings_of(ctx)), username, password)
    out_console.print(f"staff user {user.username} saved", markup=False)
