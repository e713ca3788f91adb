#!/bin/sh
echo "remote_coverage_tools is an offline stub: coverage is not supported in this workspace" >&2
exit 0
