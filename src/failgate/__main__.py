from failgate.cli import main

raise SystemExit(main())
