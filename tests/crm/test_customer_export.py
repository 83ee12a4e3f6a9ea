"""Customer-list export: managers only, every export logged (who, when, how many rows), page and API."""

from __future__ import annotations

import pytest

from common.models import ExportLog
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[str]:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()


def test_manager_exports_the_team_list_and_it_is_logged(org, client):  # type: ignore[no-untyped-def]
    CustomerFactory(owner=org.rep_a1, name="甲队客户一")
    CustomerFactory(owner=org.rep_a2, name="甲队客户二")
    CustomerFactory(owner=org.rep_b1, name="乙队客户")
    client.force_login(org.manager_a)
    assert "导出客户名单" in client.get("/customers/").content.decode()
    response = client.get("/customers/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = _csv(response)
    assert lines[0].startswith("客户名称,客户等级")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["甲队客户一", "甲队客户二"]
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.rows) == (org.manager_a, "customer_list", 2)


def test_rep_cannot_export_in_page_or_api_and_nothing_is_logged(org, client, api_for):  # type: ignore[no-untyped-def]
    CustomerFactory(owner=org.rep_a1)
    client.force_login(org.rep_a1)
    assert "导出客户名单" not in client.get("/customers/").content.decode()
    # the crm policy closes the export to non-managers (404 like any page they may not open)
    assert client.get("/customers/export/").status_code == 404
    assert api_for(org.rep_a1).get("/api/customers/export/").status_code == 404
    assert not ExportLog.objects.exists()


def test_api_export_follows_the_filters_and_admin_sees_the_log(org, api_for, client):  # type: ignore[no-untyped-def]
    CustomerFactory(owner=org.rep_a1, name="A级客户", grade="A")
    CustomerFactory(owner=org.rep_a1, name="C级客户", grade="C")
    response = api_for(org.manager_a).get("/api/customers/export/?grade=A")
    assert response.status_code == 200
    assert [line.split(",")[0] for line in _csv(response)[1:]] == ["A级客户"]
    assert ExportLog.objects.get().rows == 1
    client.force_login(org.admin)
    log_page = client.get("/admin/common/exportlog/").content.decode()
    assert "客户名单" in log_page and "经理甲" in log_page
