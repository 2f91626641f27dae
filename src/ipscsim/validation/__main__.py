"""``python -m ipscsim.validation``: regenerate the validation report (see ``report``)."""

import sys

from .report import main

sys.exit(main())
