"""An alert's reason in the reader's language.

Reasons are stored in English, the words of the rule that raised them with its figures, so an
alert reads the same whoever's page raised it and whenever it is read. Each page says them again
in its reader's language from the English phrases they were made of; a reason made of none (an
older wording) is shown as stored.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop, ngettext

from rapport.alerts.models import RISK_REASON
from rapport.core.alliance import REASON_PHRASES as ALLIANCE_PHRASES
from rapport.core.alliance import REASON_WORDS as ALLIANCE_WORDS
from rapport.core.text import Phrase, said_again
from rapport.figures import figure_said
from rapport.plans.queries import PLAN_ALERT_PHRASES
from rapport.trajectories.alert_reasons import JOINED
from rapport.trajectories.alert_reasons import REASON_PHRASES as TRAJECTORY_PHRASES

# The risk rules' messages of the instruments Rapport ships (their `scoring.risk_rules`): staff
# read them, so they are said in the staff member's language whoever wrote the instrument.
RISK_MESSAGES = (
    gettext_noop(
        "Thoughts of being better off dead or of self-harm reported (item 9); assess risk promptly"
    ),
)

# The kinds a prompted plan review names ("Off track: worth reviewing the plan ..."), as the
# alert kinds' own words.
_KINDS = (
    gettext_noop("At risk of not improving"),
    gettext_noop("Off track"),
    gettext_noop("Reliably worse than at the start"),
    gettext_noop("Goals rated low"),
)

# Most particular first: a count of points ("... points") would match any text ending so, a
# trajectory's sentences joined any text ending in a full stop, the risk reason ("PHQ-9: ...")
# any text with a colon.
PHRASES: tuple[Phrase, ...] = (
    *ALLIANCE_PHRASES,
    *TRAJECTORY_PHRASES,
    *PLAN_ALERT_PHRASES,
    *_KINDS,
    *RISK_MESSAGES,
    *ALLIANCE_WORDS,
    *JOINED,
    RISK_REASON,
)


def reason_said(stored: str) -> str:
    """A stored reason (or one line of it, or a risk flag's message) in the reader's language."""
    return said_again(stored, PHRASES, gettext, ngettext, figure_said) if stored else stored
