"""Reading inputs: finding files, ids, decoding (one reader per format)."""
