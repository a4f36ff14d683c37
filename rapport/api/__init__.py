"""The JSON API (`/api/v1/`): the same records, rules and audit trail as the pages, for programs.

`auth` says who calls (a personal access token, or a signed-in session that passes CSRF) and
what they may do (the token's scope); `site` assembles the operations, which live in each app's
own `api.py` and load every object through rapport.access, as the pages do.
"""
