"""The campaign spec (``config/campaigns/*.yaml``, ``version: 1``) as frozen models, read once through the loader.

A campaign names its districts and the cemeteries each one owns (by the name the register uses in
``martyrs.cemetery``), and its quotas: which kinds of item count, how many, by when. Kinds are checked against the
registry in ``campaigns.kinds`` when the file is read, so a misspelt kind is a ``file:line`` error, not a zero.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import Field, field_validator, model_validator

from streamkit.campaigns.kinds import KINDS
from streamkit.config.loader import SpecModel, load_spec
from streamkit.errors import ConfigError

Name = Annotated[str, Field(min_length=1, max_length=200)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]


class Window(SpecModel):
    """The campaign's first and last day, both counted, in the campaign's time zone."""

    start: date
    end: date

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class District(SpecModel):
    """A district and the cemeteries it owns, by the names the register gives them."""

    name: Name
    cemeteries: Annotated[tuple[Name, ...], Field(min_length=1)]


class Quota(SpecModel):
    """At least ``target`` items of ``kinds`` per district by ``deadline``; ``target: all`` means every one there is
    (every tomb photographed), which only kinds that know their whole can take."""

    id: Slug
    label: Name
    kinds: Annotated[tuple[str, ...], Field(min_length=1)]
    target: int | Literal["all"] = Field(1)
    deadline: date

    @field_validator("kinds")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in value if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown item kind {unknown[0]!r}; known: {', '.join(sorted(KINDS))}")
        if len(set(value)) != len(value):
            raise ValueError("a kind is listed twice")
        return value

    @field_validator("target")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be >= 1 (or 'all')")
        return value

    @model_validator(mode="after")
    def _all_needs_a_whole(self) -> Quota:
        if self.target == "all" and any(KINDS[k].whole is None for k in self.kinds):
            raise ValueError(f"target 'all' needs kinds that know their whole ({', '.join(sorted(whole_kinds()))})")
        return self


def whole_kinds() -> list[str]:
    return [name for name, kind in KINDS.items() if kind.whole is not None]


class Campaign(SpecModel):
    """A campaign: theme, window, districts, quotas, and which kinds of item the daily chart draws."""

    version: Literal[1] = 1
    slug: Slug
    theme: Name
    issuer: Name  # the bureau the report goes to, and the name on the roll-up
    window: Window
    timezone: str = "Asia/Shanghai"
    portal_link: str = ""  # the national campaign link every district puts on its portals
    districts: Annotated[tuple[District, ...], Field(min_length=1)]
    quotas: Annotated[tuple[Quota, ...], Field(min_length=1)]
    chart: tuple[str, ...] = ("flower", "message")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)")
        return value

    @field_validator("chart")
    @classmethod
    def _chart_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in value if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown item kind {unknown[0]!r}; known: {', '.join(sorted(KINDS))}")
        return value

    @field_validator("districts")
    @classmethod
    def _one_owner(cls, value: tuple[District, ...]) -> tuple[District, ...]:
        names = [d.name for d in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"district {twice[0]!r} is listed twice")
        owners: dict[str, str] = {}
        for district in value:
            for cemetery in district.cemeteries:
                if cemetery in owners:
                    raise ValueError(f"cemetery {cemetery!r} belongs to both {owners[cemetery]} and {district.name}")
                owners[cemetery] = district.name
        return value

    @field_validator("quotas")
    @classmethod
    def _unique_ids(cls, value: tuple[Quota, ...]) -> tuple[Quota, ...]:
        ids = [q.id for q in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"quota id {twice[0]!r} is used twice")
        return value

    @model_validator(mode="after")
    def _deadlines(self) -> Campaign:
        for quota in self.quotas:
            if quota.deadline < self.window.start:
                raise ValueError(f"quota {quota.id!r}: the deadline is before the campaign starts")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def district(self, name: str) -> District | None:
        return next((d for d in self.districts if d.name == name), None)

    def owner_of(self, cemetery: str) -> str | None:
        """The district that owns ``cemetery``, if any."""
        return next((d.name for d in self.districts if cemetery in d.cemeteries), None)

    def quota(self, quota_id: str) -> Quota | None:
        return next((q for q in self.quotas if q.id == quota_id), None)


def load_campaign(path: str | Path) -> Campaign:
    """Read and validate a campaign spec; every problem is reported as ``file:line: field: message``."""
    return load_spec(path, Campaign)


def campaign_files(folder: Path) -> dict[str, Path]:
    """The campaign files of ``folder`` by their stem (the slug they should carry)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def find_campaign(name: str, folder: Path) -> Campaign:
    """A campaign by slug (a file ``<slug>.yaml`` in ``folder``) or by path; one clear error otherwise."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") and as_path.is_file():
        return load_campaign(as_path)
    files = campaign_files(folder)
    if name not in files:
        known = ", ".join(files) or "none"
        raise ConfigError.single(folder, f"no campaign {name!r} (known: {known})")
    campaign = load_campaign(files[name])
    if campaign.slug != name:
        raise ConfigError.single(files[name], f"slug {campaign.slug!r} differs from the file name {name!r}")
    return campaign
