"""TEI P5: writing and reading one article, the corpus, validation."""
