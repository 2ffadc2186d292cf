"""The per-document stages and their helpers: clean, analyse, translate, link.

Their order, and what each requires and assigns on the document, is declared in one table:
pipeline/stages/table.py.
"""
