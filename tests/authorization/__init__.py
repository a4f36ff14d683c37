"""Shared machinery of the authorization tests (tests/test_authorization_*.py).

- cases: the roles, how a matrix case is written (Case, row, get, post) and the common rows;
- matrix_cast: the measures and alerts objects added to the conftest's cast (MatrixCast);
- payloads: minimal, valid-looking submissions;
- routes_people_care, routes_measures: the MATRIX data, by domain; matrix: MATRIX itself;
- fixtures: the cast built once per test module (prepared, cast, shared), web_for and send;
- bookkeeping: what a denied request may write and what it must leave untouched.

The overview of the matrix is in tests/test_authorization_matrix.py.
"""
