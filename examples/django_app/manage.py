#!/usr/bin/env python
"""The example Django app's manage.py. One command runs everything against the local sandbox, no credentials:

    .venv/bin/python examples/django_app/manage.py demo            # then open http://127.0.0.1:8000/
"""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycdemo.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
