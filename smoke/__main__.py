from __future__ import annotations

from smoke.main import main

raise SystemExit(main())
