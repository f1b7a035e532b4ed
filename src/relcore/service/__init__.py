"""Service: business calendars first (cases, SLA clocks and feedback come next).

[BusinessCalendar][relcore.service.calendars.BusinessCalendar] answers when a
desk is open and does business-time arithmetic on aware datetimes.
"""

from relcore.service.calendars import DAYS, WORKDAYS, BusinessCalendar, Opening

__all__ = ["DAYS", "WORKDAYS", "BusinessCalendar", "Opening"]
