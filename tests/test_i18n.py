"""English UI: one page of each area renders in English when the user picks English, service errors reach
the API in English, and the English catalogue has no untranslated entry (so none can creep in silently)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from crm.models import Customer

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_client(client_for, user):  # type: ignore[no-untyped-def]
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# (url name, fixture attribute of `org`, English phrases expected, Chinese title that must be gone)
PAGES = [
    ("crm:customer_list", "rep_a1", ["Customers", "Customer name or phone"], "客户"),
    ("crm:pool_list", "rep_a1", ["Public pool", "The public pool is empty for now."], "公海"),
    ("crm:lead_list", "manager_a", ["Leads", "No leads."], "线索"),
    (
        "crm:approval_inbox",
        "manager_a",
        ["Approvals centre", "Nothing awaiting your decision in "],
        "审批中心",
    ),
    ("partners:collision_list", "rep_a1", ["Collisions", "No collisions."], "撞单"),
    ("commissions:statement", "rep_a1", ["Commission lines", "No commission lines this month."], "提成明细"),
    ("settlements:list", "finance", ["Settlement", "No matching settlements."], "结算单"),
    (
        "settlements:dashboard",
        "finance",
        ["Settlement dashboard", "Settlement calendar for this period"],
        "结算看板",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,who,english,chinese_title", PAGES, ids=[p[0] for p in PAGES])
def test_page_in_english(client_for, org, name, who, english, chinese_title):
    response = english_client(client_for, getattr(org, who)).get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html or "lang=en" in html or response.headers.get("Content-Language") == "en"
    for phrase in english:
        assert phrase in html, phrase
    assert f"<h1>{chinese_title}" not in html
    assert f"<title>{chinese_title}" not in html


@pytest.mark.django_db
def test_page_stays_chinese_by_default(client_for, org):
    """The control: without the language choice the same page is in Chinese (LANGUAGE_CODE zh-hans)."""
    html = client_for(org.rep_a1).get(reverse("crm:pool_list")).content.decode()
    assert "公海" in html and "Public pool" not in html


@pytest.mark.django_db
def test_setlang_switches_to_english(client_for, org):
    client = client_for(org.rep_a1)
    response = client.post("/i18n/setlang/", {"language": "en", "next": reverse("crm:pool_list")})
    assert response.status_code == 302
    html = client.get(reverse("crm:pool_list")).content.decode()
    assert "Public pool" in html


BAD_PHONE = {
    "name": "南京启明教育咨询有限公司",
    "contact_person": "周洁",
    "contact_position": "校长",
    "phone": "12345",
    "status": "intent",
}


@pytest.mark.django_db
def test_api_domain_error_in_english(api_for, org):
    """validate_phone (crm.services.customers) raises a DomainError; the API shows it in English."""
    response = api_for(org.rep_a1).post(
        "/api/customers/", BAD_PHONE, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    message = str(response.json()["phone"])
    assert "Malformed phone number" in message
    assert not CJK.search(message)
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_api_domain_error_in_chinese_by_default(api_for, org):
    response = api_for(org.rep_a1).post("/api/customers/", BAD_PHONE, format="json")
    assert response.status_code == 400
    assert "电话号码格式不正确" in str(response.json()["phone"])


def _po_entries(text: str) -> list[dict[str, object]]:
    """A minimal .po reader: msgid / msgid_plural / msgstr / msgstr[n] with continuation lines, flags, and
    obsolete (#~) entries marked."""
    entries: list[dict[str, object]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        entry: dict[str, object] = {"flags": set(), "obsolete": False, "msgstr": {}}
        key: str | None = None
        for raw in lines:
            line = raw.strip()
            if line.startswith("#~"):
                entry["obsolete"] = True
                continue
            if line.startswith("#,"):
                entry["flags"] = {f.strip() for f in line[2:].split(",")}
                continue
            if line.startswith("#") or not line:
                continue
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if m:
                key, value = m.group(1), m.group(2)
            elif line.startswith('"') and key:
                value = line[1:-1]
            else:
                raise AssertionError(f"unparsable line in django.po: {raw!r}")
            if key.startswith("msgstr"):
                strs = entry["msgstr"]
                assert isinstance(strs, dict)
                strs[key] = strs.get(key, "") + value
            else:
                entry[key] = str(entry.get(key, "")) + value
        if "msgid" in entry:
            entries.append(entry)
    return entries


def test_po_reader_sees_untranslated_and_fuzzy():
    """The checker below must be able to fail: an empty msgstr and a fuzzy entry are both caught."""
    sample = '#, fuzzy\nmsgid "甲"\nmsgstr "A"\n\nmsgid "乙"\nmsgstr ""\n\nmsgid ""\n"丙"\nmsgstr ""\n"C"\n'
    entries = _po_entries(sample)
    assert [e["msgid"] for e in entries] == ["甲", "乙", "丙"]
    assert "fuzzy" in entries[0]["flags"]  # type: ignore[operator]
    assert entries[1]["msgstr"] == {"msgstr": ""}
    assert entries[2]["msgstr"] == {"msgstr": "C"}


def test_every_english_entry_is_translated():
    entries = _po_entries(PO_FILE.read_text(encoding="utf-8"))
    live = [e for e in entries if not e["obsolete"] and e["msgid"] != ""]  # the header has an empty msgid
    assert len(live) > 1000
    missing = [
        e["msgid"]
        for e in live
        if not all(v for v in e["msgstr"].values())  # type: ignore[attr-defined]
    ]
    fuzzy = [e["msgid"] for e in live if "fuzzy" in e["flags"]]  # type: ignore[operator]
    assert missing == [], f"untranslated English entries: {missing[:20]}"
    assert fuzzy == [], f"fuzzy English entries: {fuzzy[:20]}"
    plural = [e for e in live if "msgid_plural" in e]
    assert plural and all(len(e["msgstr"]) == 2 for e in plural)  # type: ignore[arg-type]


def test_compiled_catalogue_matches_po():
    """The .mo file Django loads holds every English translation of the .po file (not a stale build)."""
    with PO_FILE.with_suffix(".mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    entries = [
        e for e in _po_entries(PO_FILE.read_text(encoding="utf-8")) if not e["obsolete"] and e["msgid"]
    ]
    stale = []
    for e in entries:
        msgid = _unescape(str(e["msgid"]))
        if "msgctxt" in e:
            msgid = f"{_unescape(str(e['msgctxt']))}\x04{msgid}"
        strs = e["msgstr"]
        assert isinstance(strs, dict)
        if "msgid_plural" in e:
            got = [catalog.get((msgid, i)) for i in range(len(strs))]
            want = [_unescape(strs[f"msgstr[{i}]"]) for i in range(len(strs))]
        else:
            got, want = [catalog.get(msgid)], [_unescape(strs["msgstr"])]
        if got != want:
            stale.append(msgid)
    assert stale == [], f"run manage.py compilemessages: {stale[:10]}"


def _unescape(s: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r'\\([nt"\\])', lambda m: escapes[m.group(1)], s)


def test_pages_stay_chinese_for_an_english_browser_until_the_user_chooses(client_for, rep):
    client = client_for(rep)
    body = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "<h1>客户</h1>" in body
    client.cookies["django_language"] = "en"
    body = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "<h1>客户</h1>" not in body and "Customers" in body


def test_english_menu_names_the_lists_in_the_plural(org, client_for):  # type: ignore[no-untyped-def]
    html = english_client(client_for, org.manager_a).get(reverse("crm:customer_list")).content.decode()
    menu = re.search(r"<aside.*?</aside>", html, re.S)
    assert menu, "the page has its side menu"
    for label in ("Customers", "Contacts", "Leads", "Opportunities", "Quotes", "Contracts"):
        assert f">{label}<" in re.sub(r"\s*<", "<", re.sub(r">\s*", ">", menu.group(0))), label
