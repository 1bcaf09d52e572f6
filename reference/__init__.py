"""Reference models shared by the property tests and the benchmark (see :mod:`reference.models`)."""
