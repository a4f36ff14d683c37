from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended cost: m = 19 MiB, t = 2, p = 1.

    Django's default (100 MiB, p = 8) would need about 2 GB for 20 concurrent sign-ins.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
