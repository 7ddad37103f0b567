"""`python -m helpers.report`: what `make report` calls (see `helpers.report.chain`)."""

import sys

from helpers.report.chain import main

sys.exit(main())
