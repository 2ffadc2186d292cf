"""Running the stages over many documents: ordering, cache, workers, atomic writes, report."""
