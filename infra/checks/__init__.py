"""Custom checkov checks for the invariants of infra/ (loaded with --external-checks-dir)."""
