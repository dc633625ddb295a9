"""The benchmarks' own tests run with the platform's test fixtures: reference data re-ensured
after a transactional test's flush, isolated files and keys, fast hashing, English."""

from secretariat.conftest import (  # noqa: F401  (fixtures, found by name)
    _data_dir,
    _english_by_default,
    _fast_password_hashing,
    _isolated_files,
    _reference_data,
)
