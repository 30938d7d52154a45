"""The public register (英名录): browse and search the martyrs, a page for each; never a private or withheld field.

Pages read only ``public_fields`` of the register, so what families asked to hide and what staff keep private
cannot reach the HTML, the Open Graph tags or the JSON-LD.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for

from streamkit.participation.relatives import open_search
from streamkit.register.documents import KINDS, documents_of
from streamkit.register.memorial import appearances_of, tomb_picture
from streamkit.register.models import Martyr
from streamkit.register.public import public_fields
from streamkit.register.record import tomb_label
from streamkit.register.search import RegisterQuery, find_martyr, search
from streamkit.web.extensions import store
from streamkit.web.messages import message_panel
from streamkit.web.page_cache import cached_page
from streamkit.web.tributes import tribute_panel

bp = Blueprint("martyrs", __name__)
FILTERS = ("q", "place", "unit", "died", "cemetery", "section")


def _year(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1800 <= int(text) <= 2100:
        abort(400)
    return int(text)


MAX_PAGE = 100_000


@bp.get("/martyrs")
@cached_page
def martyrs_page() -> str:
    args = {name: request.args.get(name, "").strip()[:100] for name in FILTERS}
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400)
    if not 1 <= page <= MAX_PAGE:  # the offset must fit the database's integers
        abort(400)
    per_page = current_app.config["STREAMKIT_PAGE_SIZE"]
    query = RegisterQuery(
        text=args["q"],
        native_place=args["place"],
        unit=args["unit"],
        died_year=_year(args["died"]),
        cemetery=args["cemetery"],
        section=args["section"],
        limit=per_page + 1,  # one more than shown tells whether there is a next page
        offset=(page - 1) * per_page,
    )
    found = search(store(), query)
    rows = [_row(m) for m in found[:per_page]]
    filters = {k: v for k, v in args.items() if v}
    return render_template(
        "martyrs.html", rows=rows, args=args, filters=filters, page=page, has_next=len(found) > per_page
    )


# Not a cached page: its tribute form carries a fresh idempotency key and the visitor's CSRF token.
@bp.get("/martyrs/<id:martyr_id>")
def martyr_page(martyr_id: int) -> str:
    martyr = find_martyr(store(), martyr_id)
    shown = public_fields(martyr) if martyr is not None else None
    if martyr is None or shown is None:
        abort(404)
    page_url = url_for("martyrs.martyr_page", martyr_id=martyr_id, _external=True)
    archive = store()
    return render_template(
        "martyr.html",
        martyr_id=martyr_id,
        martyr=shown,
        tomb_picture=tomb_picture(archive, martyr_id),
        documents=documents_of(archive, martyr_id),
        kinds=KINDS,
        appearances=appearances_of(archive, martyr_id),
        tomb=tomb_label(shown["section"], shown["row"], shown["number"]),
        page_url=page_url,
        jsonld=person(shown, page_url),
        tributes=tribute_panel(martyr_id),
        messages=message_panel(martyr_id),
        relatives_sought=open_search(store(), martyr_id) is not None,
    )


def _row(martyr: Martyr) -> dict[str, Any]:
    shown = public_fields(martyr, even_hidden=True)  # the search left hidden records out
    return {"id": martyr.id, "tomb": tomb_label(shown["section"], shown["row"], shown["number"])} | shown


def person(shown: dict[str, str], url: str) -> dict[str, Any]:
    """schema.org ``Person`` JSON-LD from the public fields only; dates as written when not a plain ISO date."""
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Person", "name": shown["name"], "url": url}
    if shown["born"]:
        data["birthDate"] = shown["born"]
    if shown["died"]:
        data["deathDate"] = shown["died"]
    if shown["place_of_death"]:
        data["deathPlace"] = {"@type": "Place", "name": shown["place_of_death"]}
    if shown["unit"]:
        data["memberOf"] = {"@type": "Organization", "name": shown["unit"]}
    if shown["biography"]:
        data["description"] = shown["biography"][:300]
    return data
