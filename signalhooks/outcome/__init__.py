"""Stage 5, outcome: results, counters, one log line per final outcome, outcome signals."""
