"""``streamkit web``: serve the site (development server or gunicorn) and manage staff accounts."""

from __future__ import annotations

import gc
import getpass
import logging
import resource
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from streamkit.cli_common import default_note, open_archive, out_console, settings_of
from streamkit.errors import ConfigError

if TYPE_CHECKING:
    from streamkit.config.settings import WebSettings

app = typer.Typer(help="The schedule and archive site.", no_args_is_help=True)
log = logging.getLogger(__name__)
PAGE_CONNECTIONS = 1000  # per worker, beyond the event streams it may hold


def gunicorn_options(bind: str, workers: int, web: WebSettings | None = None) -> dict[str, Any]:
    """Gunicorn settings for production: gevent workers behind a reverse proxy that terminates TLS.

    gevent, not threads: every OBS browser source, and anyone on the internet, may hold an overlay event stream
    open for as long as they like. A thread per stream let a few dozen idle streams take the pages down; a greenlet
    per connection costs kilobytes, and the streams a worker holds are capped below its connections.
    """
    from streamkit.config.settings import WebSettings as Defaults
    from streamkit.overlays.web import MAX_STREAMS
    from streamkit.web.proxies import forwarded_allow_ips

    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "gevent",
        "worker_connections": MAX_STREAMS + PAGE_CONNECTIONS,
        # no access log here: nginx in front keeps it (and leaves families' private links out of it); gunicorn's
        # own line per request costs a tenth of a tribute's CPU and would hold every /family/<token> address
        "accesslog": None,
        "errorlog": "-",
        # the C request parser (gunicorn_h1c) when installed, else gunicorn's own in Python
        "http_parser": "auto",
        "timeout": 30,
        # on stop, open event streams would hold a worker for the whole default 30 s; OBS reconnects by itself
        "graceful_timeout": 5,
        "keepalive": 5,
        "post_worker_init": _settle_worker_heap,
        # gunicorn's own trust in X-Forwarded-Proto: the same proxies as the site's (docs/web.md, reverse proxy)
        "forwarded_allow_ips": forwarded_allow_ips(web or Defaults()),
    }


def _settle_worker_heap(_worker: object) -> None:
    """Move the loaded application's objects out of the collector's reach and collect young objects less often.

    A worker holds hundreds of thousands of long-lived objects (Flask, SQLAlchemy, templates); a full collection
    walks them all and stalls every request the worker holds. Frozen, they are never walked; requests allocate
    short-lived objects that reference counting frees, so young collections can be rare.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _raise_open_files_limit() -> None:
    """Each connection is a file descriptor: let every worker hold its full share, within the hard limit."""
    from streamkit.overlays.web import MAX_STREAMS

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = (MAX_STREAMS + PAGE_CONNECTIONS) * 2 + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard)
        )


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on. " + default_note("settings web.host"))] = None,
    port: Annotated[int | None, typer.Option(help="Port. " + default_note("settings web.port"))] = None,
    prod: Annotated[bool, typer.Option("--prod", help="Serve with gunicorn (production).")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Gunicorn worker processes (--prod).")] = 2,
    socket: Annotated[
        Path | None, typer.Option(help="Listen on this unix socket instead of host:port (--prod, behind nginx).")
    ] = None,
) -> None:
    """Serve the site; without --prod, Flask's development server over plain HTTP."""
    from streamkit.web.app import create_app, development_secret

    settings = settings_of(ctx)
    web = settings.web
    bind_host, bind_port = host or web.host, port or web.port
    bind = f"unix:{socket}" if socket else f"{bind_host}:{bind_port}"
    if socket and not prod:
        raise ConfigError.single("web serve", "--socket needs --prod (gunicorn behind nginx)")
    open_archive(settings).dispose()  # migrate once, before any worker starts
    if prod:
        if web.secret_key is None:
            raise ConfigError.single("settings", "set STREAMKIT_WEB__SECRET_KEY before serving in production")
        from gunicorn.app.base import BaseApplication

        from streamkit.overlays.channel import hub_socket
        from streamkit.overlays.hub import running_hub
        from streamkit.web.proxies import trusted_proxies

        trusted_proxies(None, web)  # a bad proxy address is refused here, not by every worker as it boots
        with ExitStack() as stack:
            hub = hub_socket(settings.overlays.channel)
            if settings.overlays.channel is None or hub is not None:  # workers share overlay events through a hub
                channel = stack.enter_context(running_hub(hub))
                overlays = settings.overlays.model_copy(update={"channel": channel})
                settings = settings.model_copy(update={"overlays": overlays})
            site_settings = settings

            class Site(BaseApplication):
                def load_config(self) -> None:
                    for key, value in gunicorn_options(bind, workers, web).items():
                        self.cfg.set(key, value)

                def load(self) -> Any:
                    site = create_app(site_settings)
                    site.wsgi_app = trusted_proxies(site.wsgi_app, web)  # type: ignore[method-assign]
                    return site

            _raise_open_files_limit()
            where = f"unix socket {socket}" if socket else f"http://{bind_host}:{bind_port}/"
            message = f"serving on {where} with {workers} gunicorn workers"
            out_console.print(message, markup=False)
            Site().run()
        return
    # Plain HTTP in development: cookies cannot be Secure, and a missing key becomes a throwaway one.
    settings = settings.model_copy(update={"web": web.model_copy(update={"secure_cookies": False})})
    site = create_app(settings, secret_key=None if web.secret_key else development_secret())
    out_console.print(f"serving on http://{bind_host}:{bind_port}/ (development server; Ctrl-C stops)", markup=False)
    site.run(host=bind_host, port=bind_port, debug=False, use_reloader=False)


@app.command()
def layout(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder to write the layout into (created).")],
    server_name: Annotated[str, typer.Option(help="nginx server_name.")] = "_",
    listen: Annotated[str, typer.Option(help="nginx listen: a port or address:port.")] = "80",
    socket: Annotated[Path, typer.Option(help="gunicorn's unix socket.")] = Path("/run/streamkit/gunicorn.sock"),
    workers: Annotated[int, typer.Option(min=1, help="Gunicorn worker processes.")] = 2,
    user: Annotated[str, typer.Option(help="The account gunicorn runs as.")] = "streamkit",
    settings_file: Annotated[
        Path | None, typer.Option(help="Settings file the unit hands streamkit (its --config).")
    ] = None,
) -> None:
    """Write the production layout: nginx site, systemd unit for gunicorn, README (docs/web.md)."""
    from streamkit.web.app import WEB_ROOT
    from streamkit.web.layout import options_for, plan_layout, write_layout

    if not socket.is_absolute():
        raise ConfigError.single("web layout", f"--socket must be an absolute path, not {socket}")
    root = WEB_ROOT.parent
    given = {"socket": socket, "listen": listen, "server_name": server_name, "workers": workers, "user": user}
    options = options_for(settings_of(ctx).web, root, WEB_ROOT / "static", config=settings_file, **given)
    try:
        written = write_layout(folder, plan_layout(options))
    except OSError as exc:
        raise ConfigError.single("web layout", f"cannot write into {folder}: {exc.strerror or exc}") from None
    for path in written:
        out_console.print(f"wrote {path}", markup=False)


@app.command("add-user")
def add_user_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Staff user name.")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
    role: Annotated[
        list[str] | None,
        typer.Option(
            help="A role to hold (repeat for several); given, it replaces the account's roles.", metavar="ROLE"
        ),
    ] = None,
    district: Annotated[
        str | None, typer.Option(help="The account's district slug (with --role); without it, bureau staff.")
    ] = None,
) -> None:
    """Create a staff account (or reset its password); the password is asked for, never taken as an argument.

    Roles: administrator, moderator, proxy_staff, register_editor, media_editor. Without --role an existing account
    keeps its roles and district, and a new one holds none (it can sign in but open no page but the dashboard).
    """
    import sys

    from streamkit.archive.models import Role
    from streamkit.web.accounts import add_user

    known = {r.value: r for r in Role}
    unknown = [r for r in role or () if r not in known]
    if unknown:
        raise ConfigError.single("--role", f"unknown role {unknown[0]!r}; one of {', '.join(known)}")
    if district is not None and role is None:
        raise ConfigError.single("--district", "give the account's roles (--role) with its district")
    roles = None if role is None else [known[r] for r in role]

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise ConfigError.single("add-user", "the passwords differ")
    user = add_user(open_archive(settings_of(ctx)), username, password, roles=roles, district=district)
    out_console.print(f"staff user {user.username} saved", markup=False)


district_app = typer.Typer(help="Districts under the bureau and their cemeteries.", no_args_is_help=True)
app.add_typer(district_app, name="district")


@district_app.command("add")
def district_add_command(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Short name (lower-case letters, digits, dashes), e.g. nanshan.")],
    name: Annotated[str, typer.Argument(help="The district's name, e.g. 南山区.")],
    cemetery: Annotated[
        list[str] | None,
        typer.Option(help="A cemetery of the district, spelled as in the register (repeat for several)."),
    ] = None,
) -> None:
    """Create a district (or rename it) and add cemeteries to it; run again to add more."""
    from streamkit.web.districts import add_district

    add_district(open_archive(settings_of(ctx)), slug, name, cemetery or [])
    out_console.print(f"district {slug} saved", markup=False)


@district_app.command("list")
def district_list_command(ctx: typer.Context) -> None:
    """Each district with its cemeteries."""
    from streamkit.web.districts import all_districts

    for district in all_districts(open_archive(settings_of(ctx))):
        cemeteries = ", ".join(district.cemetery_names) or "-"
        out_console.print(f"{district.slug}  {district.name}  {cemeteries}", markup=False)
