"""Districts under the bureau and the cemeteries each one keeps: what scopes a district's staff to its records."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from streamkit.archive.models import District, DistrictCemetery
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")


def add_district(store: ArchiveStore, slug: str, name: str, cemeteries: Sequence[str], *, actor: str = "cli") -> None:
    """Create a district, or rename it and add cemeteries to it; a cemetery already in another district is refused.

    Cemeteries are only ever added here: taking one away would move its records out of sight of its staff, which is
    a decision for the bureau to make in the database, not a side effect of a repeated command.
    """
    if not SLUG.fullmatch(slug):
        raise ArchiveError(f"district slug {slug!r}: use 1-60 lower-case letters, digits and dashes")
    name = name.strip()
    if not name or len(name) > 200:
        raise ArchiveError("a district name of 1 to 200 characters is required")
    wanted = [c.strip() for c in cemeteries]
    if any(not c or len(c) > 200 for c in wanted):
        raise ArchiveError("a cemetery name of 1 to 200 characters is required")
    with store.transaction() as session:
        district = session.scalar(select(District).where(District.slug == slug))
        if district is None:
            district = District(slug=slug, name=name)
            session.add(district)
            session.flush()
        district.name = name
        for cemetery in dict.fromkeys(wanted):
            owner = session.scalar(select(DistrictCemetery).where(DistrictCemetery.cemetery == cemetery))
            if owner is None:
                district.cemeteries.append(DistrictCemetery(cemetery=cemetery))
            elif owner.district_id != district.id:
                raise ArchiveError(f"cemetery {cemetery!r} already belongs to district {owner.district.slug!r}")
        ArchiveStore.audit(session, actor, "district.save", f"district:{slug}", ", ".join(district.cemetery_names))


def all_districts(store: ArchiveStore) -> list[District]:
    with store.session() as session:
        return list(session.scalars(select(District).order_by(District.slug)))
