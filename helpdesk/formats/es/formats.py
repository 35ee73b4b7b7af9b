"""One date format for Spanish, in lists and detail pages alike (issue 16, item 9): 2 mar
2026, 14:05. Lists show the relative time (`helpdesk.templatetags.dates`), this on hover."""

DATE_FORMAT = "j b Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
