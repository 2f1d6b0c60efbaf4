#!/bin/sh
# Golden-test fixture: never run.
