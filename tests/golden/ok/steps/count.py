#!/usr/bin/python3
"""Golden-test fixture: never run."""
