"""chainsleuth: blockchain forensics for investigators and law enforcement."""
