"""Scraped French news -> annotated, bilingual (fr/en) TEI P5 corpora, offline."""

__version__ = "0.1.0"
