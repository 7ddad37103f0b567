"""`python -m helpers.report`: what `make report` calls (see `helpers.report.chain`);
`python -m helpers.report submit`: what `make submission` calls (see
`helpers.report.submission`)."""

import sys

if sys.argv[1:2] == ["submit"]:
    from helpers.report.submission import main

    sys.exit(main(sys.argv[2:]))

from helpers.report.chain import main  # noqa: E402  (TensorFlow stays out of `submit`)

sys.exit(main())
