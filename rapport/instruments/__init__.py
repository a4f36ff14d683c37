"""Rapport's built-in instrument definitions, one JSON file per instrument (data, not code).

Shipped: PHQ-9 and GAD-7 (free to reproduce, attribution kept); the SCARED child and parent
versions as scoring only (items numbered as on the paper form, no wording: see the README on
importing a licensed version); and Rapport's own scales —
Check-in (adult, child, caregiver), Session Feedback (client, child, guardian, therapist) and
Goal Progress. `rapport.core.instruments.parse_instrument` reads and checks a file;
`rapport.measures.registry` loads them; `rapport instruments import` adds a practice's own.

A file is `{"questionnaire": <FHIR R4 Questionnaire>, "scoring": {...}}`.

questionnaire
    resourceType "Questionnaire"; id (the instrument id, also the file name); url
    (https://rapport.example/fhir/Questionnaire/<id> for built-ins); version; name; title;
    status (draft | active | retired | unknown); description (the instructions shown above the
    questions); copyright; code (the LOINC panel, where one exists); item, a flat list of:

    - type "choice": answerOption[].valueCoding {system, code, display}, each with the extension
      http://hl7.org/fhir/StructureDefinition/ordinalValue (valueDecimal, a whole number): the
      score of that answer.
    - type "integer": a 0-10 (or other) slider. Extensions minValue and maxValue (valueInteger),
      questionnaire-itemControl "slider", sliderStepValue 1; the end labels are two child
      display items with item-control "lower" and "upper".
    - type "text" (or "string"): free text, never scored.

    A built-in's version goes up whenever its items change (a minor step for an added optional
    item). Each response keeps the version it was answered under (Response.instrument_version)
    while the registry always offers the newest file, so an item may be added but never removed
    or renamed: earlier answers must stay valid against the newest version.

    Each item has linkId (letters, digits, '.', '_', '-'), text, required, and code (LOINC)
    where one exists.

    Template items: an item may carry the extension
    https://rapport.example/fhir/StructureDefinition/item-context with a valueString such as
    "goal". Its text is a generic question ("How close are you to this goal?"); at
    administration time the named context (the plan goal's own words) is shown with it:
    `Item.context` names it and `rapport.core.instruments.item_text(item, {"goal": ...})`
    renders it. Goal Progress is given once per plan goal, so each response scores one goal.

scoring
    short_title; kind (outcome | alliance | goal); respondent (client | guardian | therapist);
    age_bands (some of adult, adolescent, child — the client's age band the version suits);
    family (versions of one measure share it, e.g. "checkin"); total_items (linkIds summed for
    the total); subscales {name: [linkIds]}; subscale_details (optional) {name: {title, cutoff}}
    — how people read a subscale and its published cut-off; reverse_items;
    missing {max_missing, prorate};
    direction ("lower" or "higher" is better); bands [{min, max, label, severity}] in whole
    numbers covering the whole score range with no gap or overlap (each band starts one above
    the previous band's max; may be empty); cutoff (where the clinical
    range begins, on the worse side; null where none is published); reliability; norms
    {clinical_mean, clinical_sd, functional_mean, functional_sd} (null where unpublished: the
    app then uses the practice's own data); risk_rules [{item, min_value, message, urgent}],
    firing when the raw answer is min_value or more whatever the total; loinc_total;
    attribution; sources [{supports: [...], citation}] — every published figure (bands, cutoff,
    reliability, norms, LOINC codes) must be backed by a source that names it in `supports`
    (items, loinc, bands, cutoff, reliability, clinical_norms, functional_norms, missing, risk).
"""
