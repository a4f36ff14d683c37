"""Form data for the trajectory routes of the matrix."""

TRAJECTORY_SETTINGS = {
    "at_risk_percentile": 25,
    "off_track_percentile": 10,
    "min_clients": 50,
    "min_observations": 200,
    "fallback_session": 8,
    "validation_window": 4,
}
