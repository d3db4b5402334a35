"""Accounts for the office in a real browser (issue 15): the office creates five accounts from an
Excel sheet, downloads the list of first passwords, and one of the new liaisons logs in, is sent to
the password change, chooses a password and reaches the portal. At 1366 px and at 375 px."""

from __future__ import annotations

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import AccountProfile
from agencies.models import Membership

pytestmark = pytest.mark.browser

ROWS = [
    ["市教育局", "张晓明", "13800000001", "zhang@example.cn", "联络员"],
    ["市教育局", "李华", "13800000002", "", "负责人"],
    ["市人社局", "王芳", "13800000003", "", "联络员"],
    ["市档案局", "赵强", "13800000004", "", "联络员"],
    ["市发展改革委", "孙丽", "13800000005", "", "联络员"],
]


def log_in(page, username: str, password: str) -> None:
    page.goto(reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_test_id("login").click()


@pytest.mark.parametrize("width", [1366, 375])
def test_office_creates_five_accounts_from_a_sheet_and_one_changes_its_password(
    new_page, screenshot, alice, directory, tmp_path, width
):
    from playwright.sync_api import expect

    sheet = tmp_path / "账号.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["单位", "姓名", "手机", "邮箱", "角色"])
    for row in ROWS:
        book.active.append(row)
    book.save(sheet)

    # The office: 账号管理 → 批量创建账号 → upload.
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "alice", "pw-alice")
    page.locator(f"header nav a[href='{reverse('agencies:accounts')}']").click()
    page.get_by_test_id("bulk-accounts").click()
    page.set_input_files("#id_file", str(sheet))
    screenshot(page, f"accounts-upload-{width}")
    page.get_by_test_id("upload-accounts").click()
    expect(page.get_by_test_id("issued")).to_have_count(5)
    screenshot(page, f"accounts-handout-{width}")
    assert Membership.objects.filter(user__username__startswith="1380000000").count() == 5

    # The list downloads as .xlsx, with the passwords the page shows.
    with page.expect_download() as download:
        page.get_by_test_id("handout-xlsx").click()
    saved = tmp_path / "list.xlsx"
    download.value.save_as(saved)
    rows = list(openpyxl.load_workbook(saved).active.iter_rows(values_only=True))
    assert [row[3] for row in rows[1:]] == [row[2] for row in ROWS]
    passwords = dict((row[3], row[4]) for row in rows[1:])
    assert page.get_by_test_id("issued-password").first.inner_text() == passwords["13800000001"]
    if width == 375:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # 王芳 logs in with her first password and is sent to the password change.
    liaison = new_page()
    liaison.set_viewport_size({"width": width, "height": 900})
    log_in(liaison, "13800000003", passwords["13800000003"])
    liaison.wait_for_url(f"**{reverse('password_change')}")
    expect(liaison.get_by_test_id("must-change")).to_be_visible()
    liaison.goto(reverse("supervision:workspace"))
    liaison.wait_for_url(f"**{reverse('password_change')}")  # every page leads back here
    screenshot(liaison, f"accounts-must-change-{width}")
    liaison.fill("#id_old_password", passwords["13800000003"])
    liaison.fill("#id_new_password1", "Wang-fang-2026")
    liaison.fill("#id_new_password2", "Wang-fang-2026")
    liaison.get_by_test_id("change-password").click()
    liaison.wait_for_url(f"**{reverse('password_change_done')}")
    liaison.goto(reverse("supervision:workspace"))
    expect(liaison.locator("h1")).to_be_visible()
    assert liaison.url.endswith(reverse("supervision:workspace"))
    screenshot(liaison, f"accounts-liaison-in-{width}")
    user = get_user_model().objects.get(username="13800000003")
    assert user.check_password("Wang-fang-2026")
    assert not AccountProfile.objects.get(user=user).must_change_password
