"""Two confirmations of one new plan, and confirm + cancel of one import, at the same moment:
on PostgreSQL's real locking one wins and the other is answered with a message, never a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.roles import OFFICE_GROUP
from importers import actions
from importers.models import ImportSession, ImportStatus
from tasklist.models import Plan, Task
from tests.conftest import SUQIAN, SUQIAN_FILE
from tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True)

ALREADY_IMPORTED = (
    f"方案 {SUQIAN} 已在本次预览之后由他人导入，本次导入未做任何更改；"
    "如需更新该方案，请重新上传文件，查看它对已导入方案的改动。"
)

TOO_LATE_TO_CANCEL = {"该导入正在执行，已不能取消。", "该导入已完成，不能再取消。"}


@pytest.fixture
def olga(alice, django_user_model):
    """A second clerk of the office."""
    user = django_user_model.objects.create_user("olga")
    user.groups.add(Group.objects.get(name=OFFICE_GROUP))
    return user


def previewed(user) -> ImportSession:
    session = actions.start_import(user, filename="suqian.txt", data=SUQIAN_FILE.read_bytes(), overrides={})
    session = actions.build_preview(session.pk)
    assert session.status == ImportStatus.READY and session.preview["plan_created"]
    return session


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def confirm_action(session: ImportSession):
    def run():
        actions.claim_for_apply(session)
        return actions.apply_import(session.pk, {})

    return run


class TestTwoConfirmationsOfOneNewPlan:
    def test_one_imports_the_other_is_told_the_plan_now_exists(self, postgres, directory, alice, olga):
        first, second = previewed(alice), previewed(olga)
        outcomes = race(
            lambda: client_of(alice).post(reverse("importers:confirm", args=[first.pk])),
            lambda: client_of(olga).post(reverse("importers:confirm", args=[second.pk])),
        )
        assert all(getattr(o, "status_code", None) == 302 for o in outcomes), outcomes
        assert Plan.objects.filter(doc_number=SUQIAN).count() == 1
        assert Task.objects.count() == 47
        sessions = sorted(ImportSession.objects.all(), key=lambda s: s.status)
        assert [s.status for s in sessions] == [ImportStatus.APPLIED, ImportStatus.FAILED]
        assert sessions[1].problems == [ALREADY_IMPORTED]
        loser = outcomes[[first.pk, second.pk].index(sessions[1].pk)]
        assert loser.url == reverse("importers:preview", args=[sessions[1].pk])
        assert ALREADY_IMPORTED in client_of(sessions[1].created_by).get(loser.url).content.decode()

    def test_a_confirmation_after_the_other_committed_is_told_too(self, postgres, directory, alice, olga):
        # The preview said "a new plan"; confirming it now would update a plan its clerk never saw.
        first, second = previewed(alice), previewed(olga)
        confirm_action(first)()
        session = confirm_action(second)()
        assert (session.status, session.problems) == (ImportStatus.FAILED, [ALREADY_IMPORTED])
        assert Plan.objects.count() == 1 and Task.objects.count() == 47

    def test_the_unique_document_number_is_answered_even_past_the_check(self, postgres, directory, alice, olga):
        # Both transactions pass "no plan yet" before either commits: the database's unique index
        # stops the second, and its IntegrityError becomes the same message.
        sessions = [previewed(alice), previewed(olga)]
        outcomes = race(*(confirm_action(s) for s in sessions))
        assert sorted(o.status for o in outcomes) == [ImportStatus.APPLIED, ImportStatus.FAILED], outcomes
        assert [o.problems for o in outcomes if o.status == ImportStatus.FAILED] == [[ALREADY_IMPORTED]]
        assert Plan.objects.count() == 1 and Task.objects.count() == 47


class TestConfirmAndCancelAtOnce:
    @pytest.mark.parametrize("round", range(3))
    def test_exactly_one_wins(self, postgres, directory, alice, round):
        session = previewed(alice)  # both requests have read it, as the views do
        outcomes = race(confirm_action(session), lambda: actions.cancel_import(session))
        refused = [o for o in outcomes if isinstance(o, actions.ImportConflict)]
        assert len(refused) == 1, outcomes
        assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, actions.ImportConflict)]
        if isinstance(outcomes[0], actions.ImportConflict):  # cancel won
            assert str(refused[0]) == "该导入已取消。"
            assert not ImportSession.objects.exists() and not Plan.objects.exists()
        else:
            assert str(refused[0]) in TOO_LATE_TO_CANCEL
            assert ImportSession.objects.get().status == ImportStatus.APPLIED
            assert Task.objects.count() == 47

    def test_over_http_neither_is_a_500(self, postgres, directory, alice):
        session = previewed(alice)
        outcomes = race(
            lambda: client_of(alice).post(reverse("importers:confirm", args=[session.pk])),
            lambda: client_of(alice).post(reverse("importers:cancel", args=[session.pk])),
        )
        confirm, cancel = outcomes
        assert cancel.status_code == 302, outcomes
        cancelled = not ImportSession.objects.exists()
        assert cancelled != Plan.objects.exists()
        if cancelled:
            # Cancelled while the confirm was on its way: it is told so. Had the cancel finished
            # before the confirm's request even read the import, the import is gone like any other,
            # a 404 (an import that is not the user's is never distinguished from one that is gone).
            assert confirm.status_code in (302, 404), outcomes
            if confirm.status_code == 302:
                assert confirm.url == reverse("importers:upload")
                assert messages_of(confirm) == ["该导入已取消。"]
        else:
            assert confirm.status_code == 302, outcomes
            assert cancel.url == reverse("importers:preview", args=[session.pk])
            assert messages_of(cancel)[0] in TOO_LATE_TO_CANCEL

    def test_confirm_after_cancel_is_told_it_was_cancelled(self, postgres, directory, alice):
        session = previewed(alice)
        actions.cancel_import(session)
        with pytest.raises(actions.ImportConflict, match="该导入已取消。"):
            actions.claim_for_apply(session)

    def test_cancel_after_confirm_is_refused(self, postgres, directory, alice):
        session = previewed(alice)
        confirm_action(session)()
        with pytest.raises(actions.ImportConflict, match="该导入已完成，不能再取消。"):
            actions.cancel_import(session)
        assert ImportSession.objects.get().status == ImportStatus.APPLIED
