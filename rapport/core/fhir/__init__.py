"""FHIR R4 documents made from Rapport's records: pure functions returning plain dicts.

`questionnaires` makes an instrument's Questionnaire and one administration's
QuestionnaireResponse; `resources` the rest of a client's record (practice, practitioners,
client, guardians, episodes, sessions, problems, total scores) from the plain inputs of
`inputs`, and the collection Bundle that carries them; `plans` the treatment plan's versions
(CarePlan) and goals (Goal); `codes` every code system used, with where it is defined.
"""

from rapport.core.fhir.questionnaires import (
    RESPONSE_STATUSES,
    canonical,
    questionnaire_json,
    questionnaire_response_json,
)

__all__ = [
    "RESPONSE_STATUSES",
    "canonical",
    "questionnaire_json",
    "questionnaire_response_json",
]
