"""Rapport's functional core: pure, typed functions with no Django import."""
