"""How peerbench runs: settings, partitions, the window calendar, jobs, schedules and the CLI."""
