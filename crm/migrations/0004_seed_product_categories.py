"""Seed the product categories (SPEC Q4/K4/K7/K13): the six codes the commission plans already key their
rates by, and the five partner categories of the 000 settlement form. Admins edit them afterwards."""

from django.db import migrations

CATEGORIES = [
    ("regular", "常规产品", "Regular product"),
    ("high_end", "高端产品", "High-end product"),
    ("new_product", "新产品", "New product"),
    ("partner_referral", "合伙人推荐", "Partner referral"),
    ("sourced", "外调产品", "Sourced product"),
    ("outsourced", "外包", "Outsourced"),
    ("family_edu_ticket", "家庭教育门票", "Family education ticket"),
    ("student_camp", "学生特训营", "Student training camp"),
    ("micro_course", "微课程", "Micro-course"),
    ("partner_development", "合伙人发展", "Partner development"),
    ("books", "书籍", "Books"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("crm", "Category")
    for i, (code, name, name_en) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": i * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_price_book")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
