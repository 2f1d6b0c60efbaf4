#!/usr/bin/python3
"""Golden-test fixture: named in `code`, never run."""
