"""Accounts for the office (issue 15, item 3): the office creates, disables and resets agency
accounts in the portal, one by one or from an Excel sheet; first passwords are handed over once and
changed at the first login; 忘记密码 e-mails a link; the contact list (通讯录) is scoped."""

from __future__ import annotations

import base64
import io
import json
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.models import AccountProfile
from agencies.models import Agency, Membership, MembershipRole
from tests.conftest import _user

User = get_user_model()
HEADER = ["单位", "姓名", "手机", "邮箱", "角色"]
GOOD_ROWS = [
    ["市教育局", "张晓明", "13800000001", "zhang@example.cn", "联络员"],
    ["市教育局", "李华", 13800000002, "", "负责人"],  # typed as a number in Excel
    ["市人社局", "王芳", "13800000003", "wang@example.cn", "联络员"],  # an alias of 市人力资源和社会保障局
    ["市档案局", "赵强", "", "", "联络员"],  # no mobile: a username from the agency's number
    ["市发展改革委", "孙丽", "139 0000 0005", "", ""],  # blank role: liaison
]


def sheet(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("账号.xlsx", data, content_type="application/octet-stream")
    return client.post(reverse("importers:accounts"), {"file": file, **fields})


def handout(response) -> list[dict]:
    """The rows of the handout's .xlsx, read from the page's download link."""
    html = response.content.decode()
    href = re.search(r'href="data:[^;]+;base64,([^"]+)"', html).group(1)
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(href)))
    rows = list(book.active.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def agency(name: str, jurisdiction: str = "宿迁市") -> Agency:
    return Agency.objects.get(jurisdiction=jurisdiction, name=name)


def log_in(client, username: str, password: str) -> bool:
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


@pytest.fixture
def office(client, alice, directory):
    client.force_login(alice)
    return alice


# ---------------------------------------------------------------------------
# One account
# ---------------------------------------------------------------------------


def test_office_creates_one_account_and_hands_over_its_first_password(client, office):
    education = agency("市教育局")
    response = client.post(
        reverse("agencies:agency_accounts", args=[education.pk]),
        {"name": "张晓明", "mobile": "13800000001", "email": "zhang@example.cn", "role": MembershipRole.HEAD},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    user = User.objects.get(username="13800000001")
    assert user.first_name == "张晓明" and user.email == "zhang@example.cn" and user.is_active
    assert Membership.objects.get(user=user).agency == education
    assert Membership.objects.get(user=user).role == MembershipRole.HEAD
    assert user.account_profile.mobile == "13800000001" and user.account_profile.must_change_password
    [row] = handout(response)
    assert row["用户名"] == "13800000001" and row["单位"] == "市教育局" and row["姓名"] == "张晓明"
    password = row["初始密码"]
    assert len(password) == 10 and not set(password) & set("0O1lI")
    assert password in response.content.decode()  # the printable page shows it too
    assert user.check_password(password)


def test_the_form_refuses_a_duplicate_mobile_and_creates_nothing(client, office):
    education = agency("市教育局")
    url = reverse("agencies:agency_accounts", args=[education.pk])
    client.post(url, {"name": "张晓明", "mobile": "13800000001", "role": MembershipRole.STAFF})
    response = client.post(url, {"name": "张三", "mobile": "138 0000 0001", "role": MembershipRole.STAFF})
    assert "已有手机号为13800000001的账号" in response.content.decode()
    assert User.objects.filter(first_name="张三").count() == 0


# ---------------------------------------------------------------------------
# From a sheet
# ---------------------------------------------------------------------------


def test_five_accounts_from_a_sheet_each_logs_in_and_must_change_its_password(client, office):
    response = upload(client, sheet(GOOD_ROWS))
    assert response.status_code == 200
    rows = handout(response)
    assert [row["姓名"] for row in rows] == [row[1] for row in GOOD_ROWS]
    assert [row["用户名"] for row in rows] == [
        "13800000001",
        "13800000002",
        "13800000003",
        f"a{agency('市档案局').pk}-01",
        "13900000005",
    ]
    assert [row["角色"] for row in rows] == ["联络员", "负责人", "联络员", "联络员", "联络员"]
    created = Membership.objects.filter(user__username__in=[row["用户名"] for row in rows])
    assert created.count() == 5
    assert created.get(user__first_name="王芳").agency == agency("市人力资源和社会保障局")
    assert len({row["初始密码"] for row in rows}) == 5

    client.logout()
    for row in rows:
        assert log_in(client, row["用户名"], row["初始密码"]), row
        # Every page leads to the password change until a password of one's own is chosen.
        page = client.get(reverse("tasklist:plan_list"))
        assert page.status_code == 302 and page.url == reverse("password_change")
        assert client.get(reverse("agencies:contacts")).url == reverse("password_change")
        form = client.get(reverse("password_change"))
        assert "请先设置您自己的密码" in form.content.decode()
        client.logout()

    first = rows[0]
    assert log_in(client, first["用户名"], first["初始密码"])
    changed = client.post(
        reverse("password_change"),
        {"old_password": first["初始密码"], "new_password1": "Wo-de-mima-2026", "new_password2": "Wo-de-mima-2026"},
    )
    assert changed.status_code == 302
    assert client.get(reverse("tasklist:plan_list")).status_code == 200
    assert not AccountProfile.objects.get(user__username=first["用户名"]).must_change_password
    client.logout()
    assert log_in(client, first["用户名"], "Wo-de-mima-2026")
    assert client.get(reverse("tasklist:plan_list")).status_code == 200


def test_one_bad_row_among_good_ones_creates_nothing(client, office):
    rows = [*GOOD_ROWS[:2], ["市教育局", "", "13800000009", "", "联络员"], *GOOD_ROWS[2:]]
    response = upload(client, sheet(rows))
    text = response.content.decode()
    assert "没有创建任何账号" in text
    assert "第4行：缺少姓名。" in text  # the heading is row 1, the third account row 4
    assert User.objects.filter(memberships__isnull=False).count() == 0
    assert AccountProfile.objects.count() == 0


def test_every_bad_row_is_named(client, office):
    User.objects.create_user("13800000007")
    rows = [
        ["市不存在局", "甲", "13800000001", "", "联络员"],  # unknown agency
        ["市教育局", "乙", "13800000002", "not-an-address", "联络员"],  # bad e-mail
        ["市教育局", "丙", "13800000002", "", "联络员"],  # the mobile number again
        ["市教育局", "丁", "12345", "", "联络员"],  # not a mobile number
        ["市教育局", "戊", "13800000006", "", "主任"],  # no such role
        ["市教育局", "己", "13800000007", "", "联络员"],  # an existing username
        ["市人社", "庚", "13800000008", "", "联络员"],  # close to a known name: suggested
    ]
    text = upload(client, sheet(rows)).content.decode()
    assert "第2行：名录中没有单位“市不存在局”。" in text
    assert "第3行：“not-an-address”不是有效的电子邮箱地址。" in text
    assert "第4行：手机号13800000002与第3行重复。" in text
    assert "第5行：“12345”不是11位手机号码。" in text
    assert "第6行：角色“主任”不是“联络员”或“负责人”。" in text
    assert "第7行：已有手机号为13800000007的账号。" in text
    assert "第8行：名录中没有单位“市人社”，是否指“市人力资源和社会保障局”？" in text
    assert User.objects.count() == 2  # alice and the existing one


def test_a_file_that_is_not_a_sheet_of_accounts(client, office):
    text = upload(client, sheet([["x", "y"]], header=["序号", "内容"])).content.decode()
    assert "没有创建任何账号" in text and "单位" in text
    text = upload(client, b"%PDF-1.4 not a sheet").content.decode()
    assert "没有创建任何账号" in text
    assert User.objects.count() == 1


def test_the_blank_sheet_template(client, office):
    response = client.get(reverse("importers:accounts"), {"template": "1"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert list(next(book.active.iter_rows(values_only=True))) == HEADER


# ---------------------------------------------------------------------------
# Disable, enable, reset
# ---------------------------------------------------------------------------


def _one_account(client) -> tuple[User, str]:
    response = upload(client, sheet(GOOD_ROWS[:1]))
    [row] = handout(response)
    return User.objects.get(username=row["用户名"]), row["初始密码"]


def test_disabling_prevents_login_and_enabling_allows_it_again(client, office):
    user, password = _one_account(client)
    response = client.post(reverse("agencies:account_action", args=[user.pk, "disable"]))
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active and User.objects.filter(pk=user.pk).exists()  # never deleted
    other = client.__class__()
    assert not log_in(other, user.username, password)
    client.post(reverse("agencies:account_action", args=[user.pk, "enable"]))
    assert log_in(other, user.username, password)


def test_disabling_ends_a_running_session(client, office):
    user, password = _one_account(client)
    liaison = client.__class__()
    assert log_in(liaison, user.username, password)
    client.post(reverse("agencies:account_action", args=[user.pk, "disable"]))
    response = liaison.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_office_reset_gives_a_new_password_to_change_at_login(client, office):
    user, old = _one_account(client)
    liaison = client.__class__()
    assert log_in(liaison, user.username, old)
    liaison.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": "Wo-de-mima-2026", "new_password2": "Wo-de-mima-2026"},
    )
    assert not AccountProfile.objects.get(user=user).must_change_password

    response = client.post(reverse("agencies:account_action", args=[user.pk, "reset"]))
    [row] = handout(response)
    assert row["用户名"] == user.username and row["初始密码"] not in (old, "Wo-de-mima-2026")
    # The running session ended with the old password; the new one logs in and must be changed.
    assert liaison.get(reverse("tasklist:plan_list")).url.startswith(reverse("login"))
    assert not log_in(client.__class__(), user.username, "Wo-de-mima-2026")
    assert log_in(liaison, user.username, row["初始密码"])
    assert liaison.get(reverse("tasklist:plan_list")).url == reverse("password_change")


def test_the_office_cannot_manage_its_own_people_here(client, office, leader):
    for action in ("disable", "reset"):
        assert client.post(reverse("agencies:account_action", args=[office.pk, action])).status_code == 404
        assert client.post(reverse("agencies:account_action", args=[leader.pk, action])).status_code == 404
    assert User.objects.get(pk=office.pk).is_active


def test_non_office_users_get_403_on_every_new_page(client, directory, leader):
    staff = _user("liaison", agency=agency("市教育局"))
    target = _user("target", agency=agency("市档案局"))
    for user in (staff, leader):
        client.force_login(user)
        pages = [
            ("get", reverse("agencies:accounts")),
            ("get", reverse("agencies:agency_accounts", args=[target.memberships.get().agency_id])),
            ("post", reverse("agencies:agency_accounts", args=[target.memberships.get().agency_id])),
            ("get", reverse("importers:accounts")),
            ("post", reverse("importers:accounts")),
            ("post", reverse("agencies:account_action", args=[target.pk, "disable"])),
            ("post", reverse("agencies:account_action", args=[target.pk, "reset"])),
        ]
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 403, (user, url)
    target.refresh_from_db()
    assert target.is_active
    client.logout()
    assert client.get(reverse("agencies:accounts")).url.startswith(reverse("login"))
    assert client.get(reverse("agencies:contacts")).url.startswith(reverse("login"))


# ---------------------------------------------------------------------------
# 忘记密码
# ---------------------------------------------------------------------------


def test_forgotten_password_by_email_end_to_end(client, office):
    user, first = _one_account(client)
    client.logout()
    login_page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in login_page and "忘记密码" in login_page

    response = client.post(reverse("password_reset"), {"email": "zhang@example.cn"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == ["zhang@example.cn"]
    assert "任务督查平台" in message.subject
    assert user.username in message.body
    link = re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and "设置新密码" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Zi-ji-de-2026", "new_password2": "Zi-ji-de-2026"})
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    assert not log_in(client, user.username, first)
    assert log_in(client, user.username, "Zi-ji-de-2026")
    # A password of one's own: no forced change.
    assert client.get(reverse("tasklist:plan_list")).status_code == 200

    # An address no account has gets the same page and no e-mail.
    client.logout()
    assert client.post(reverse("password_reset"), {"email": "nobody@example.cn"}).url == reverse("password_reset_done")
    assert len(mail.outbox) == 1


# ---------------------------------------------------------------------------
# 通讯录
# ---------------------------------------------------------------------------


def test_contact_list_for_the_office_filtered_and_exported(client, office):
    upload(client, sheet(GOOD_ROWS))
    page = client.get(reverse("agencies:contacts")).content.decode()
    for row in GOOD_ROWS:
        assert row[1] in page
    filtered = client.get(reverse("agencies:contacts"), {"q": "教育"}).content.decode()
    assert "张晓明" in filtered and "李华" in filtered and "王芳" not in filtered
    exported = client.get(reverse("agencies:contacts"), {"q": "教育", "format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert rows[0][:6] == ("所属地区", "单位", "角色", "姓名", "手机", "电子邮箱")
    assert [row[3] for row in rows[1:]] == ["张晓明", "李华"] or [row[3] for row in rows[1:]] == ["李华", "张晓明"]
    assert {row[4] for row in rows[1:]} == {"13800000001", "13800000002"}
    assert all(row[7] == "是" for row in rows[1:])


def test_contact_list_scoping(client, office, leader):
    upload(client, sheet(GOOD_ROWS))
    staff = User.objects.get(username="13800000001")  # 市教育局
    staff.set_password("Wo-de-mima-2026")
    staff.save()
    AccountProfile.objects.filter(user=staff).update(must_change_password=False)
    client.force_login(staff)
    page = client.get(reverse("agencies:contacts")).content.decode()
    assert "李华" in page and "张晓明" in page
    assert "王芳" not in page and "赵强" not in page
    exported = client.get(reverse("agencies:contacts"), {"format": "xlsx"})
    names = [row[3] for row in openpyxl.load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True)]
    assert set(names[1:]) == {"张晓明", "李华"}
    loner = User.objects.create_user("loner", password="x")
    client.force_login(loner)
    assert "张晓明" not in client.get(reverse("agencies:contacts")).content.decode()
    client.force_login(leader)
    assert "赵强" in client.get(reverse("agencies:contacts")).content.decode()


# ---------------------------------------------------------------------------
# The trail
# ---------------------------------------------------------------------------


def _events(action: str):
    from accounts import auth_audit  # noqa: F401  (the constants below)

    try:
        from audit.models import AuditEvent
    except ImportError:  # before the audit app takes the trail over
        from supervision.models import AuditEvent
    return AuditEvent.objects.filter(action=action).order_by("pk")


def test_every_account_change_is_audited_without_a_password(client, office):
    from accounts import auth_audit

    response = upload(client, sheet(GOOD_ROWS[:2]))
    rows = handout(response)
    user = User.objects.get(username=rows[0]["用户名"])
    client.post(reverse("agencies:account_action", args=[user.pk, "disable"]))
    client.post(reverse("agencies:account_action", args=[user.pk, "enable"]))
    reset = handout(client.post(reverse("agencies:account_action", args=[user.pk, "reset"])))

    created = _events(auth_audit.ACCOUNT_CREATE)
    assert created.count() == 2
    assert created.first().actor == office and created.first().object_id == str(user.pk)
    assert created.first().after["agency"] == "市教育局" and created.first().after["source"] == "sheet"
    assert _events(auth_audit.ACCOUNT_DISABLE).get().object_id == str(user.pk)
    assert _events(auth_audit.ACCOUNT_ENABLE).get().object_id == str(user.pk)
    assert _events(auth_audit.ACCOUNT_PASSWORD_RESET).get().after["via"] == "office"
    passwords = [row["初始密码"] for row in rows + reset]
    for action in (auth_audit.ACCOUNT_CREATE, auth_audit.ACCOUNT_PASSWORD_RESET):
        for event in _events(action):
            stored = json.dumps([event.before, event.after], ensure_ascii=False)
            assert not any(password in stored for password in passwords)
    from audit.models import Action

    assert all(
        action in Action.values
        for action in (
            auth_audit.ACCOUNT_CREATE,
            auth_audit.ACCOUNT_DISABLE,
            auth_audit.ACCOUNT_ENABLE,
            auth_audit.ACCOUNT_PASSWORD_RESET,
        )
    )
