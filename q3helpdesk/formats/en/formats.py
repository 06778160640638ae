from q3helpdesk.formats.fr.formats import *  # noqa: F403
