"""The per-document stages and their helpers: clean, analyse, translate, link."""
