"""What the desktop app calls: admin API client, STS test client, launcher, profiles."""
