"""督办事项 in a real browser (issue 16, item 4): the office registers an item from the menu, with a
basis file, and downloads its numbered 督办通知单. At 1366 px and at 375 px."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from supervision.models import SupervisionItem

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4 basis\n%%EOF\n"


def log_in(page, username: str, password: str) -> None:
    page.goto(reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_test_id("login").click()
    page.wait_for_url(lambda url: reverse("login") not in url)


@pytest.mark.parametrize("width", [1366, 375])
def test_office_registers_an_item_and_prints_its_notice(new_page, screenshot, alice, directory, tmp_path, width):
    from playwright.sync_api import expect

    lead = Agency.objects.get(jurisdiction="宿迁市", name="市人力资源和社会保障局")
    cooperating = Agency.objects.get(jurisdiction="宿迁市", name="市档案局")
    basis = tmp_path / "批示件.pdf"
    basis.write_bytes(PDF)
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "alice", "pw-alice")
    page.get_by_test_id("items-link").click()
    page.get_by_test_id("new-item").click()
    page.select_option("#id_source", "leader_instruction")
    page.fill("#id_title", "关于加快老旧小区改造的批示")
    page.fill("#id_basis", "市长批示：请市人社局牵头落实。")
    page.set_input_files("#id_basis_files", str(basis))
    page.fill("#id_content", "年底前完成首批老旧小区改造。")
    page.select_option("#id_leads", [str(lead.pk)])
    page.select_option("#id_cooperating", [str(cooperating.pk)])
    page.fill("#id_deadline_text", "2026年底前")
    page.select_option("#id_reporting", "once")
    page.fill("#id_report_by", (timezone.localdate() + dt.timedelta(days=10)).isoformat())
    screenshot(page, f"item-form-{width}")
    page.get_by_test_id("register-item").click()

    item = SupervisionItem.objects.get()
    expect(page.get_by_test_id("item-number")).to_have_text(item.number)
    expect(page.get_by_test_id("basis-file")).to_have_text("批示件.pdf")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"item-page-{width}")
    with page.expect_download() as download:
        page.get_by_test_id("item-notice").click()
    saved = tmp_path / "notice.docx"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"{item.number}督办通知单.docx"
    document = docx.Document(io.BytesIO(saved.read_bytes()))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert item.number in cells and lead.name in " ".join(cells) and cooperating.name in " ".join(cells)

    page.get_by_test_id("items-link").click()
    expect(page.get_by_test_id("item-row")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"item-register-{width}")
