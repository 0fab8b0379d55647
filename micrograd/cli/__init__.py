"""The command line: `micrograd train|predict|datasets|graph|runs`."""
