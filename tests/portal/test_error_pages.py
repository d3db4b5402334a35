"""Error pages in Chinese, with the portal's menu and a way back (Django's are bare English)."""

from __future__ import annotations

from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

HOME = reverse("tasklist:plan_list")


def test_a_missing_page_is_a_chinese_404_with_the_menu(client, bob):
    client.force_login(bob)
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in body and "请检查网址" in body
    assert f'href="{HOME}"' in body and "返回首页" in body
    assert reverse("supervision:workspace") in body  # the liaison's menu is there
    assert "Not Found" not in body and "The requested resource" not in body


def test_a_page_the_account_may_not_open_is_a_chinese_403(client, bob):
    client.force_login(bob)
    response = client.get(reverse("supervision:review_queue"))  # the office's page
    body = response.content.decode()
    assert response.status_code == 403
    assert "无权操作" in body and "督查室" in body and "返回首页" in body
    assert "403 Forbidden" not in body


def test_a_form_sent_without_its_token_is_explained_in_chinese(bob):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "bob", "password": "pw-bob"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "表单已失效" in body and "未保存任何内容" in body
    assert "CSRF verification failed" not in body


def test_a_server_error_is_a_chinese_page_that_needs_no_context(db):
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in body and "此前已保存的内容不受影响" in body and 'href="/"' in body
    assert "Server Error (500)" not in body
