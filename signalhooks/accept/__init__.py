"""Stage 3, accept: a delivery goes to the outbox, the engine after commit, or the engine now."""
