from cryptotracker.cli import main

raise SystemExit(main())
