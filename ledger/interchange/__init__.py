"""What comes in and goes out: imports (mbox, ``.eml``, minutes), exports (CSV, JSON), the
calendar feed and the demo project. Everything here goes through the service layer."""
