"""The reliability harness: backup drills, a load client and a fault-injection run.

Apart from the domain apps (like `rapport.bench`): nothing here is imported by the application.
`make load` runs `python -m rapport.harness.load`, `make faults` runs `python -m
rapport.harness.faults`; the backup drill is exercised by tests/test_backup_restore.py.
"""
