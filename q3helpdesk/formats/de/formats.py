from q3helpdesk.formats.fr.formats import *  # noqa: F403

DATE_FORMAT = "j. F Y"
DATETIME_FORMAT = "j. F Y H:i"
MONTH_DAY_FORMAT = "j. F"
