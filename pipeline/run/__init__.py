"""Running the stage table (pipeline/stages/table.py) over many documents.

runner.py drives a run: plan.py (inputs, up to date), execute.py (executors) and worker.py
(a chunk through the stages), then the files, corpus.py, validation.py and report.py.
"""
