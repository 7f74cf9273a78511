import sys

from tpm.cli import main

sys.exit(main())
