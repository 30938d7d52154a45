"""Roles and districts: every admin route walked with each role, and as staff of another district.

The walk reads the routes from the app itself and compares them with ``ACCESS``, the table of who may open what:
a new admin route without a line in the table fails here until someone decides who may open it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text
from werkzeug.routing import AnyConverter, Rule

from streamkit.archive import schema
from streamkit.archive.models import ArchiveEntry, AuditRecord, Role, User
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.family_models import ProxySweep, RelativeClaim, RelativeSearch, SweepPhoto
from streamkit.participation.models import Message
from streamkit.register.models import Martyr, MartyrDocument
from streamkit.web.accounts import add_user, change_user, session_user, set_active
from streamkit.web.app import create_app
from streamkit.web.districts import add_district
from tests.archive.conftest import make_event
from tests.web.conftest import SECRET, csrf_token, sign_in, web_settings

PASSWORD = "memorial-hall-2026"
ANY_STAFF = "any signed-in staff"
RECORD_ARGUMENTS = {"event_id", "entry_id", "message_id", "upload_id", "martyr_id", "document_id", "sweep_id"}
RECORD_ARGUMENTS |= {"photo_id", "claim_id"}
BUREAU_ADMIN = "bureau administrators"
# Who may open each admin endpoint: a set of roles (an administrator passes every role check), any staff, or only
# the bureau's administrators. Every admin route must be listed.
ACCESS: dict[str, frozenset[Role] | str] = {
    "admin.dashboard": ANY_STAFF,
    "admin.logout": ANY_STAFF,
    "admin.new_event": frozenset({Role.MEDIA_EDITOR}),
    "admin.edit_event": frozenset({Role.MEDIA_EDITOR}),
    "admin.cancel_event": frozenset({Role.MEDIA_EDITOR}),
    "admin.new_entry": frozenset({Role.MEDIA_EDITOR}),
    "admin.edit_entry": frozenset({Role.MEDIA_EDITOR}),
    "admin.publish_entry": frozenset({Role.MEDIA_EDITOR}),
    "admin.audit": BUREAU_ADMIN,
    "moderation.queue": frozenset({Role.MODERATOR}),
    "moderation.decide": frozenset({Role.MODERATOR}),
    "users.user_list": BUREAU_ADMIN,
    "users.new_user": BUREAU_ADMIN,
    "users.edit_user": BUREAU_ADMIN,
    "users.activate_user": BUREAU_ADMIN,
    "register_admin.records": frozenset({Role.REGISTER_EDITOR}),
    "register_admin.edit": frozenset({Role.REGISTER_EDITOR}),
    "register_admin.add_document_view": frozenset({Role.REGISTER_EDITOR}),
    "register_admin.document_visibility": frozenset({Role.REGISTER_EDITOR}),
    "family_admin.sweeps": frozenset({Role.PROXY_STAFF}),
    "family_admin.sweep": frozenset({Role.PROXY_STAFF}),
    "family_admin.schedule": frozenset({Role.PROXY_STAFF}),
    "family_admin.checklist": frozenset({Role.PROXY_STAFF}),
    "family_admin.photos": frozenset({Role.PROXY_STAFF}),
    "family_admin.photo": frozenset({Role.PROXY_STAFF}),
    "family_admin.video": frozenset({Role.PROXY_STAFF}),
    "family_admin.video_upload": frozenset({Role.PROXY_STAFF}),
    "family_admin.done": frozenset({Role.PROXY_STAFF}),
    "family_admin.cancel": frozenset({Role.PROXY_STAFF}),
    "family_admin.link": frozenset({Role.PROXY_STAFF}),
    "family_admin.revoke": frozenset({Role.PROXY_STAFF}),
    "family_admin.export": frozenset({Role.PROXY_STAFF}),
    "family_admin.erase": frozenset({Role.PROXY_STAFF}),
    "family_admin.claim": frozenset({Role.PROXY_STAFF}),
    "family_admin.claim_erase": frozenset({Role.PROXY_STAFF}),
    "family_admin.families": frozenset({Role.PROXY_STAFF}),
    "family_admin.families_export": frozenset({Role.PROXY_STAFF}),
    "family_admin.families_erase": frozenset({Role.PROXY_STAFF}),
    "family_admin.relatives": frozenset({Role.PROXY_STAFF, Role.REGISTER_EDITOR}),
    "family_admin.seek": frozenset({Role.PROXY_STAFF, Role.REGISTER_EDITOR}),
    "family_admin.search_action": frozenset({Role.PROXY_STAFF, Role.REGISTER_EDITOR}),
    "campaigns.index": ANY_STAFF,
    "campaigns.dashboard": ANY_STAFF,
    "campaigns.add": ANY_STAFF,
    "uploads.page": frozenset({Role.MEDIA_EDITOR}),
    "uploads.prepare": frozenset({Role.MEDIA_EDITOR}),
    "uploads.files_options": frozenset({Role.MEDIA_EDITOR}),
    "uploads.files": frozenset({Role.MEDIA_EDITOR}),
    "uploads.upload_file": frozenset({Role.MEDIA_EDITOR}),
    "uploads.status": frozenset({Role.MEDIA_EDITOR}),
}
PUBLIC = {"admin.login"}  # under /admin, but the way in
NORTH, SOUTH = "北山陵园", "南山陵园"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    # many accounts sign in from the one test client address: lift the sign-in limit for these walks
    return create_app(web_settings(tmp_path, login_rate_limit="1000 per minute"), secret_key=SECRET)


@dataclass(frozen=True)
class Seeded:
    """One of each record in the north district (and a martyr in the south), and an account to act on."""

    event_id: int
    entry_id: int
    message_id: int
    south_message_id: int
    user_id: int
    martyr_id: int
    document_id: int
    sweep_id: int
    photo_id: int
    claim_id: int
    event_title: str = "北山公祭"
    entry_title: str = "北山录像"


@pytest.fixture
def seeded(store: ArchiveStore) -> Seeded:
    add_district(store, "north", "北区", [NORTH])
    add_district(store, "south", "南区", [SOUTH])
    event = make_event(store, "北山公祭", venue=NORTH)
    with store.transaction() as session:
        entry = ArchiveEntry(title="北山录像", kind="recording", media_url="https://v.example/n.mp4", venue=NORTH)
        north = Martyr(key="n1", name="王志国", cemetery=NORTH)
        south = Martyr(key="s1", name="李成功", cemetery=SOUTH)
        session.add_all([entry, north, south])
        session.flush()
        message = Message(martyr_id=north.id, author="小明", body="北山的寄语", verdict="pass")
        south_message = Message(martyr_id=south.id, author="小红", body="南山的寄语", verdict="pass")
        session.add_all([message, south_message])
        session.flush()
        letter = MartyrDocument(martyr_id=north.id, kind="letter", original="x.jpg", folder="x")
        order = ProxySweep(martyr_id=north.id, preferred_date=date(2026, 4, 4))
        claim = RelativeClaim(martyr_id=north.id)
        session.add_all([letter, order, claim, RelativeSearch(martyr_id=north.id)])
        session.flush()
        photo = SweepPhoto(sweep_id=order.id, original="o.jpg", derivative="d.jpg")
        session.add(photo)
        session.flush()
        ids = (entry.id, message.id, south_message.id, north.id, letter.id, order.id, photo.id, claim.id)
    target = add_user(store, "target", PASSWORD, roles=[Role.MODERATOR])
    return Seeded(event.id, ids[0], ids[1], ids[2], target.id, *ids[3:])


def admin_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin") and r.endpoint not in PUBLIC]
    return sorted(rules, key=lambda r: r.endpoint == "admin.logout")  # signing out last keeps the walk signed in


def fill(rule: Rule, seeded: Seeded) -> str:
    known = {
        "event_id": seeded.event_id,
        "entry_id": seeded.entry_id,
        "message_id": seeded.message_id,
        "user_id": seeded.user_id,
        "martyr_id": seeded.martyr_id,
        "document_id": seeded.document_id,
        "sweep_id": seeded.sweep_id,
        "photo_id": seeded.photo_id,
        "claim_id": seeded.claim_id,
        "slug": "qingming-2020",  # the campaign in config/campaigns
        "upload_id": "0" * 32,  # no such upload: each account reaches only its own
    }
    values: dict[str, object] = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        values[arg] = sorted(converter.items)[0] if isinstance(converter, AnyConverter) else known[arg]
    path: str = rule.build(values, append_unknown=False)[1]  # type: ignore[index]
    return path


def requests(rule: Rule) -> Iterator[str]:
    yield from sorted((rule.methods or set()) & {"GET", "POST"})


def signed_in(app: Flask, store: ArchiveStore, name: str, roles: list[Role], district: str | None) -> FlaskClient:
    add_user(store, name, PASSWORD, roles=roles, district=district, actor="test")
    client = app.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302  # type: ignore[attr-defined]
    return client


def call(client: FlaskClient, method: str, path: str) -> int:
    """The status of one request; a request that finds itself signed out fails the walk at once."""
    if method == "GET":
        answer = client.get(path)
    else:
        token = csrf_token(client.get("/admin/login").get_data(as_text=True))
        answer = client.post(path, data={"csrf_token": token})
    assert "/admin/login" not in answer.headers.get("Location", ""), f"{method} {path}: signed out"
    return answer.status_code


def expected(rule: Rule, roles: frozenset[Role], district: str | None) -> bool:
    allowed = ACCESS[rule.endpoint]
    if allowed == ANY_STAFF:
        return True
    if allowed == BUREAU_ADMIN:
        return Role.ADMINISTRATOR in roles and district is None
    assert isinstance(allowed, frozenset)
    return Role.ADMINISTRATOR in roles or bool(roles & allowed)


def test_every_admin_route_is_in_the_access_table(app: Flask) -> None:
    endpoints = {r.endpoint for r in admin_rules(app)}
    assert endpoints - ACCESS.keys() == set(), "a new admin route: say who may open it in ACCESS"
    assert ACCESS.keys() - endpoints == set()
    for endpoint in endpoints:  # and every one is guarded by the access module, not by hand
        assert hasattr(app.view_functions[endpoint], "required_roles"), endpoint


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "no-role")
def test_each_role_opens_exactly_its_routes(app: Flask, store: ArchiveStore, seeded: Seeded, role: Role | None) -> None:
    roles = frozenset([role]) if role else frozenset()
    client = signed_in(app, store, "walker", sorted(roles), None)
    wrong = []
    for rule in admin_rules(app):
        for method in requests(rule):
            path = fill(rule, seeded)
            code = call(client, method, path)
            allowed = expected(rule, roles, None)
            if (code == 403) == allowed:
                wrong.append(f"{method} {path} ({rule.endpoint}): {code}, expected {'allowed' if allowed else 403}")
    assert wrong == []


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, store: ArchiveStore, seeded: Seeded) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    for rule in admin_rules(app):
        for method in requests(rule):
            path = fill(rule, seeded)
            answer = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token})
            assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login"), path


def test_the_forbidden_page_is_in_chinese(app: Flask, store: ArchiveStore) -> None:
    client = signed_in(app, store, "editor", [Role.MEDIA_EDITOR], None)
    answer = client.get("/admin/messages/")
    assert answer.status_code == 403 and "您无权打开此页面" in answer.get_data(as_text=True)


def test_staff_of_another_district_get_404_for_every_record(app: Flask, store: ArchiveStore, seeded: Seeded) -> None:
    """South's staff, holding every role, walk every admin route aimed at north's records."""
    client = signed_in(app, store, "south-staff", list(Role), "south")
    queue = client.get("/admin/messages/").get_data(as_text=True)
    assert "南山的寄语" in queue and "北山的寄语" not in queue  # south's queue holds only south's message
    audit_before = store.audit_log()[0].id
    for rule in admin_rules(app):
        for method in requests(rule):
            path = fill(rule, seeded)
            code = call(client, method, path)
            if ACCESS[rule.endpoint] == BUREAU_ADMIN:
                assert code == 403, path  # accounts and the audit log belong to the bureau
            elif rule.arguments & RECORD_ARGUMENTS:
                assert code == 404, f"{method} {path}: {code}"
            elif method == "GET":
                page = client.get(path).get_data(as_text=True)
                assert code == 200 and seeded.event_title not in page and seeded.entry_title not in page, path
    # nothing of north's changed, and nothing but signing out was written
    with store.session() as session:
        assert session.get(Message, seeded.message_id).status == "pending"  # type: ignore[union-attr]
        assert session.get(ArchiveEntry, seeded.entry_id).published is True  # type: ignore[union-attr]
    assert store.event_by_slug(store.all_events()[0].slug).status == "upcoming"  # type: ignore[union-attr]
    assert [r.action for r in store.audit_log() if r.id > audit_before] == ["logout"]


def test_district_editors_place_events_only_in_their_district(app: Flask, store: ArchiveStore, seeded: Seeded) -> None:
    client = signed_in(app, store, "south-editor", [Role.MEDIA_EDITOR], "south")
    token = csrf_token(client.get("/admin/events/new").get_data(as_text=True))
    form = {"title": "借北山办", "start": "2026-04-04T09:00", "end": "2026-04-04T10:00", "timezone": "Asia/Shanghai",
            "status": "upcoming", "csrf_token": token}  # fmt: skip
    refused = client.post("/admin/events/new", data={**form, "venue": NORTH})
    assert refused.status_code == 400 and "地点必须是本区的陵园之一" in refused.get_data(as_text=True)
    assert client.post("/admin/events/new", data={**form, "venue": SOUTH}).status_code == 302
    assert sorted(e.venue for e in store.all_events()) == [NORTH, SOUTH]
    north_slug = next(e.slug for e in store.all_events() if e.venue == NORTH)
    entry = {"title": "南山录像", "kind": "recording", "media_url": "https://v.example/s.mp4", "venue": SOUTH,
             "event_slug": north_slug, "published": "y", "csrf_token": token}  # fmt: skip
    linked = client.post("/admin/entries/new", data=entry)
    assert linked.status_code == 400 and "没有这个标识的活动" in linked.get_data(as_text=True)  # as if none existed
    assert store.list_entries(published_only=False).total == 1


def test_bureau_staff_see_every_district(app: Flask, store: ArchiveStore, seeded: Seeded) -> None:
    client = signed_in(app, store, "bureau", [Role.MEDIA_EDITOR, Role.MODERATOR], None)
    assert seeded.event_title in client.get("/admin/").get_data(as_text=True)
    assert client.get(f"/admin/events/{seeded.event_id}/edit").status_code == 200
    assert client.get(f"/admin/entries/{seeded.entry_id}/edit").status_code == 200
    queue = client.get("/admin/messages/").get_data(as_text=True)
    assert "南山的寄语" in queue and "北山的寄语" in queue
    north = signed_in(app, store, "north-editor", [Role.MEDIA_EDITOR], "north")
    assert north.get(f"/admin/events/{seeded.event_id}/edit").status_code == 200  # and north sees its own


# -- the account page --------------------------------------------------------------------------------------------
def admin_client(app: Flask, store: ArchiveStore) -> FlaskClient:
    return signed_in(app, store, "chief", [Role.ADMINISTRATOR], None)


def post_form(client: FlaskClient, path: str, data: dict[str, object]) -> object:
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_administrator_creates_an_account_that_can_sign_in(
    app: Flask, store: ArchiveStore, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = admin_client(app, store)
    form = {"username": "南区审核", "password": "qingming-south-1", "roles": ["moderator", "register_editor"]}
    made = post_form(client, "/admin/users/new", {**form, "district": "south"})
    assert made.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/admin/users/").get_data(as_text=True)
    assert "南区审核" in page and "审核员（感念寄语）" in page and "南区" in page
    assert "qingming-south-1" not in page
    newcomer = app.test_client()
    assert sign_in(newcomer, "南区审核", "qingming-south-1").status_code == 302  # type: ignore[attr-defined]
    assert newcomer.get("/admin/messages/").status_code == 200
    assert newcomer.get("/admin/events/new").status_code == 403
    record = store.audit_log()[1]
    assert (record.actor, record.action, record.target) == ("chief", "user.create", "user:南区审核")
    assert record.detail == "roles=moderator,register_editor district=south"
    assert all("qingming-south-1" not in r.detail + r.target for r in store.audit_log())
    assert "qingming-south-1" not in caplog.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "short"}, "密码至少需要 10 个字符"),
        ({"password": "aaaaabbbbbb"}, "密码至少需要 5 个不同的字符"),
        ({"password": "xx-keeper2-xx"}, "密码不得包含用户名"),
        ({"password": "1234567890"}, "此密码过于常见"),
        ({"username": ""}, "该字段是必填字段"),
        ({"roles": ["overlord"]}, "不是有效的选择"),
        ({"district": "atlantis"}, "不是有效的选择"),
        ({"username": "chief"}, "已有同名账号"),  # never a silent password reset of an existing account
    ],
)
def test_bad_account_input_gives_a_message_and_changes_nothing(
    app: Flask, store: ArchiveStore, changes: dict[str, object], message: str
) -> None:
    client = admin_client(app, store)
    before = len(store.audit_log())
    form = {"username": "keeper2", "password": "qingming-south-1", "roles": ["moderator"], "district": "", **changes}
    answer = post_form(client, "/admin/users/new", form)
    html = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert answer.status_code == 400 and message in html  # type: ignore[attr-defined]
    assert len(store.audit_log()) == before
    with store.session() as session:
        assert session.scalar(select(User).where(User.username == "keeper2")) is None
    assert sign_in(app.test_client(), "chief", PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_account_forms_need_the_csrf_token(app: Flask, store: ArchiveStore, seeded: Seeded) -> None:
    client = admin_client(app, store)
    before = len(store.audit_log())
    form = {"username": "forged", "password": "qingming-south-1", "roles": ["administrator"]}
    assert client.post("/admin/users/new", data=form).status_code == 400
    assert client.post(f"/admin/users/{seeded.user_id}/edit", data={"roles": ["administrator"]}).status_code == 400
    assert client.post(f"/admin/users/{seeded.user_id}/deactivate", data={"csrf_token": "forged"}).status_code == 400
    assert len(store.audit_log()) == before
    with store.session() as session:
        target = session.get(User, seeded.user_id)
        assert target is not None and target.active and target.roles == {Role.MODERATOR}


def test_roles_change_and_deactivation_take_effect_at_once(app: Flask, store: ArchiveStore, seeded: Seeded) -> None:
    client = admin_client(app, store)
    target = app.test_client()
    assert sign_in(target, "target", PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert target.get("/admin/messages/").status_code == 200
    edit = f"/admin/users/{seeded.user_id}/edit"
    assert post_form(client, edit, {"roles": ["media_editor"], "district": "north"}).status_code == 303  # type: ignore[attr-defined]
    assert target.get("/admin/messages/").status_code == 403  # the same session, the new roles
    assert target.get(f"/admin/events/{seeded.event_id}/edit").status_code == 200
    token = csrf_token(client.get("/admin/users/").get_data(as_text=True))
    assert client.post(f"/admin/users/{seeded.user_id}/deactivate", data={"csrf_token": token}).status_code == 303
    assert target.get("/admin/").status_code == 302  # signed out: the account is off
    assert sign_in(target, "target", PASSWORD).status_code == 401  # type: ignore[attr-defined]
    actions = [(r.action, r.target, r.detail) for r in store.audit_log()[1:3]]  # after the refused sign-in
    assert actions == [
        ("user.deactivate", "user:target", ""),
        ("user.roles", "user:target", "roles=media_editor district=north"),
    ]


def test_an_administrator_cannot_lock_themselves_out(app: Flask, store: ArchiveStore) -> None:
    client = admin_client(app, store)
    with store.session() as session:
        chief = session.scalar(select(User).where(User.username == "chief"))
        assert chief is not None
    add_district(store, "south", "南区", [SOUTH])
    before = len(store.audit_log())
    for form in ({"roles": ["moderator"], "district": ""}, {"roles": ["administrator"], "district": "south"}):
        answer = post_form(client, f"/admin/users/{chief.id}/edit", form)
        assert answer.status_code == 400 and "不能取消自己的管理员角色" in answer.get_data(as_text=True)  # type: ignore[attr-defined]
    token = csrf_token(client.get("/admin/users/").get_data(as_text=True))
    answer = client.post(f"/admin/users/{chief.id}/deactivate", data={"csrf_token": token}, follow_redirects=True)
    assert "不能停用自己的账号" in answer.get_data(as_text=True)
    assert client.get("/admin/users/").status_code == 200 and len(store.audit_log()) == before
    me = session_user(store, chief.id, store.audit_log()[-1].id)
    assert me is not None  # the library refuses it too, whoever calls it
    with pytest.raises(ArchiveError, match="own administrator"):
        change_user(store, chief.id, roles=[Role.MODERATOR], district=None, actor=me)
    with pytest.raises(ArchiveError, match="own account"):
        set_active(store, chief.id, active=False, actor=me)


# -- districts and the migration ---------------------------------------------------------------------------------
def test_a_cemetery_belongs_to_one_district(store: ArchiveStore) -> None:
    add_district(store, "north", "北区", [NORTH])
    add_district(store, "north", "北区", [NORTH, "北岭陵园"])  # again: adds, keeps
    with pytest.raises(ArchiveError, match="already belongs to district 'north'"):
        add_district(store, "south", "南区", [SOUTH, NORTH])
    with pytest.raises(ArchiveError, match="district slug"):
        add_district(store, "South District", "南区", [])
    with pytest.raises(ArchiveError, match="no district 'south'"):
        add_user(store, "keeper", PASSWORD, roles=[Role.MODERATOR], district="south")
    from streamkit.web.districts import all_districts

    assert [(d.slug, d.cemetery_names) for d in all_districts(store)] == [("north", ["北山陵园", "北岭陵园"])]


@pytest.fixture(params=["sqlite", "postgresql"])
def either_store(request: pytest.FixtureRequest) -> ArchiveStore:
    found: ArchiveStore = request.getfixturevalue("store" if request.param == "sqlite" else "postgresql_store")
    return found


def test_existing_accounts_become_bureau_administrators_and_the_migration_goes_back(
    either_store: ArchiveStore,
) -> None:
    from alembic import command

    store = either_store
    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0005")
    tables = set(inspect(store.engine).get_table_names())
    assert not {"districts", "district_cemeteries", "user_roles"} & tables
    assert "district_id" not in {c["name"] for c in inspect(store.engine).get_columns("users")}
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, active, created_at)"
                " VALUES ('old', 'x', TRUE, '2026-01-01')"
            )
        )
    assert store.migrate() is True
    with store.session() as session:
        old = session.scalar(select(User).where(User.username == "old"))
        assert old is not None and old.roles == {Role.ADMINISTRATOR} and old.district_id is None
    add_district(store, "north", "北区", [NORTH])
    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0005")
        command.upgrade(schema.alembic_config(connection), "head")


def test_the_audit_log_records_who_did_what(store: ArchiveStore) -> None:
    add_district(store, "north", "北区", [NORTH])
    add_user(store, "keeper", PASSWORD, roles=[Role.REGISTER_EDITOR], district="north", actor="cli")
    add_user(store, "keeper", PASSWORD + "!", actor="cli")  # a password reset keeps roles and district
    with store.session() as session:
        keeper = session.scalar(select(User).where(User.username == "keeper"))
        assert keeper is not None and keeper.roles == {Role.REGISTER_EDITOR} and keeper.district is not None
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
    assert [(r.action, r.target) for r in rows] == [
        ("district.save", "district:north"),
        ("user.create", "user:keeper"),
        ("user.password", "user:keeper"),
    ]
