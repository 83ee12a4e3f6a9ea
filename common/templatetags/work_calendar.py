from django import template

from common.timeutil import local_today
from common.workdays import work_calendar_notice as notice

register = template.Library()


@register.simple_tag
def work_calendar_notice() -> str:
    """W1: the admin index warns from 1 December while next year's schedule is missing."""
    return notice(today=local_today())
